// Package rendezvous is seed 001's supervising server and the wire format it
// shares with the set-top box peers of package stb (role peer): device
// registration against a registry, an overlay address per device recorded
// with its observed public endpoint, heartbeats and online state, and
// connection requests answered with a fresh session key wrapped for each
// side and the other side's endpoint, so both punch a UDP path through their
// NATs. The caller gets its offer first, punches, and says "ready"; only
// then does the target get its offer: the caller's first punch always
// leaves before anything from the target can reach the caller's gateway,
// so whether a pair of NATs lets the session through does not depend on
// the machine's load.
//
// # Keys
//
// A device's password never travels. The server announces, per device, an
// Argon2id cost and a salt (SaltFor: HMAC of the server secret and the id);
// both sides run Argon2id(password, salt) once (KeyCache) and expand the
// result with HKDF-SHA256 into an auth key (HMAC-SHA256 over control
// messages) and a wrap key. A session key is 32 random bytes per request,
// sealed with XChaCha20-Poly1305 under each side's wrap key, the offer's
// other fields as associated data. Peers derive one key per direction from
// it with HKDF (salt: the session id) and seal every packet with
// ChaCha20-Poly1305, the nonce being the 64-bit sequence number, checked
// against a 64-packet anti-replay window (Window) before decryption and
// advanced only after authentication.
//
// # Wire format
//
// One UDP port (default 7700), big-endian, every datagram at most 1200
// bytes, starting with a 4-byte header:
//
//	0  version (1)   1  type   2  total length, header included (2)
//
// Strings are a length byte and 1–64 bytes of printable ASCII without
// spaces (the refusal text may hold spaces and be empty; so may the user
// name). MAC is HMAC-SHA256 under the device's auth key of every byte before
// it. Bodies by type:
//
//	1 hello       id, user
//	2 challenge   id, nonce(16), argon2 time(4), memory KiB(4), threads(1), salt(16)
//	3 register    id, user, nonce(16) echoed, MAC(32)
//	4 registered  id, overlay IPv4(4), public IPv4(4)+port(2), heartbeat ms(4), expires ms(4), MAC(32)
//	5 refused     reason(1), id, seq(8) of the refused request (0 for hello/register), text
//	6 heartbeat   id, seq(8), MAC(32)
//	7 hb-ack      id, seq(8), public IPv4(4)+port(2), MAC(32)
//	8 connect     id, target, seq(8), MAC(32)
//	9 offer       id (recipient), peer, session(8), seq(8) of the connect (0 for the callee),
//	              role(1: caller, 2: callee), peer overlay(4), peer endpoint(6),
//	              wrap nonce(24), wrapped key(48)
//	10 ready      id, session(8), seq(8), MAC(32): the caller's first punch has left
//	11 relay-request  id, session(8), seq(8), MAC(32): punching failed, give me the relay
//	12 relay-grant    id, session(8), seq(8) of the request, relay endpoint(6), TURN user
//	                  name, wrap nonce(24), wrapped HMAC-SHA1 digest(20, zero-padded to 32, +16)
//	13 relay-addr     id, session(8), seq(8), own relayed endpoint(6), MAC(32)
//	14 relay-peer     id (recipient), session(8), the peer's relayed endpoint(6), MAC(32)
//	16 sealed     session(8), seq(8), ChaCha20-Poly1305(kind(1) + body) with the 20-byte
//	              clear part as associated data; kinds: 1 punch (1 byte: heard you),
//	              2 ping (8-byte stamp + payload), 3 pong (the stamp)
//
// Heartbeats, connects, readies, relay requests and relay addresses share
// one strictly increasing sequence per registration, so a captured one
// cannot be played again; a register answers a single-use challenge. Parse
// checks version, length, type, every field and that nothing trails; the
// server refuses anything else with a rendezvous.bad_message event and no
// state change.
//
// # Registry and expiry
//
// Option devices lists entries; option generate makes them from a pattern
// (pattern: "lin%d-stb0", count: N) with DerivedPassword(password_seed, id),
// which a peer with the same password_seed computes too. A device silent
// for offline_after (default three heartbeat periods) is offline: a connect
// to it is refused "target offline". Silent for expires, its registration
// ends and its overlay address returns to the pool.
//
// # Relay fallback
//
// With option relay (server: the name of a TURN server, a role turn of
// package relay or any TURN server with the same shared secret), a device
// whose punching failed asks for a relay for its session (relay-request);
// the server checks that the device is one side of a session it offered in
// the last minute and answers with TURN REST credentials: user name
// "<expiry>:<id>" valid for relay.ttl of wall-clock time (the relay checks
// it against its own clock), the password's HMAC-SHA1 digest sealed like a
// session key under the device's wrap key, the grant's other fields as
// associated data. Each side allocates a relayed address and sends it
// (relay-addr); the server passes it to the other side (relay-peer, MAC'd
// under that side's key). The server relays nothing itself, and without a
// relay it refuses the request ("no relay") and the session fails.
//
// It does not authenticate its refusals (they can only make a device try
// again), persist its state across restarts, or carry IPv6.
//
// Events: rendezvous.start, rendezvous.registered (id, overlay, public,
// again), rendezvous.refused_unknown, rendezvous.refused_credentials,
// rendezvous.stale_challenge, rendezvous.not_registered,
// rendezvous.replayed, rendezvous.moved, rendezvous.unknown_target,
// rendezvous.target_offline, rendezvous.session, rendezvous.relay_granted
// (id, session, user), rendezvous.relay_refused (reason), rendezvous.relay_addr,
// rendezvous.unknown_session
// (a ready for no held offer), rendezvous.offline and rendezvous.released
// (with silence), rendezvous.bad_message, rendezvous.busy (a message
// dropped while its device's first key derivation runs: workers derive
// keys off the receive loop, at most GOMAXPROCS at once, starting with
// every registry entry at start-up), rendezvous.pool_full.
package rendezvous
