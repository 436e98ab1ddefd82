// Package digest is HTTP Digest access authentication shared by boxlab's
// HTTP servers and their clients: the ratings server and its viewers (seed
// 004 step 3), the management server's CWMP endpoint and the STB's TCP
// connection-request listener (TR-069 §3.2.2, §3.4.4). It lives under
// devices/httpauth rather than inside one role because several roles use it;
// it keeps the name digest so moving it changed only import paths.
//
// RFC 7616 with SHA-256, and MD5 for RFC 2617 clients; qop=auth only. The
// server side issues challenges with a nonce that carries its own issue time
// and an HMAC under a per-instance key (so it needs no table of issued
// nonces and a restarted server answers old nonces with stale=true), checks
// the opaque value, rejects a nonce older than its TTL and rejects a
// nonce-count it has already accepted (replay). The client side answers a
// challenge and counts nc per nonce.
//
// It does not do qop=auth-int, the -sess algorithms, userhash, or
// Authentication-Info headers; the clock is passed in (Now), so tests and
// simulated time control expiry.
package digest
