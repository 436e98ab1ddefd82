// Package digest is HTTP Digest access authentication for the ratings server
// and its viewers (seed 004 step 3): RFC 7616 with SHA-256, and MD5 for RFC
// 2617 clients; qop=auth only. The server side issues challenges with a
// nonce that carries its own issue time and an HMAC under a per-instance key
// (so it needs no table of issued nonces and a restarted server answers old
// nonces with stale=true), checks the opaque value, rejects a nonce older
// than its TTL and rejects a nonce-count it has already accepted (replay).
// The client side answers a challenge and counts nc per nonce.
//
// It does not do qop=auth-int, the -sess algorithms, userhash, or
// Authentication-Info headers; the clock is passed in (Now), so tests and
// simulated time control expiry.
package digest
