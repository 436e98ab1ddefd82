// Package ratings is the seed 004 conformance suite (tests only): the
// shipped ratings scenarios through the runner, and curl --digest as a real
// RFC 7616 peer of the ratings server. It does not yet drive a vendor's
// ratings server or terminal under test (exec nodes).
package ratings
