// Package ratings is the seed 004 conformance suite (tests only): the
// shipped ratings scenarios through the runner, the same with the store in
// a real PostgreSQL server (started for the spec, torn down after) and a
// server restart mid-run, curl --digest as a real RFC 7616 peer of the
// ratings server, the control channel (method B polls and subscription
// sync through a NAT) and the ratings page and JSON API fetched with curl.
package ratings
