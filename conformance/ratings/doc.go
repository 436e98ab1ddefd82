// Package ratings is the seed 004 conformance suite (tests only): the
// shipped ratings scenarios through the runner, curl --digest as a real
// RFC 7616 peer of the ratings server, the control channel (method B polls
// and subscription sync through a NAT) and the ratings page and JSON API
// fetched with curl. It does not yet drive a vendor's ratings server or
// terminal under test (exec nodes).
package ratings
