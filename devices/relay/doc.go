// Package relay is the TURN relay of seed 001's fallback path (role turn)
// and the small TURN client the stb peer uses when hole punching fails.
//
// The server is pion/turn v4 (RFC 5766/8656 over UDP) on a server node:
// its listening socket and every relayed socket are opened in the node's
// namespace through Env.NS, and a relayed address is the node's own
// address. It authenticates with TURN REST ephemeral credentials
// (draft-uberti-behave-turn-rest-00, as coturn's use-auth-secret does): the
// user name is "<expiry in Unix seconds>:<device id>" and the password is
// base64(HMAC-SHA1(shared secret, user name)). The rendezvous server holds
// the same secret and hands a device credentials for one session (see
// package rendezvous, relay grant); the relay never sees the device's
// password and needs no user table. Credentials (creds.go) are a pure core
// with the time passed in.
//
// The client (Allocate, client.go) opens a UDP socket in the caller's
// namespace, allocates a relayed address with pion's TURN client and returns
// it as a net.PacketConn: writing to a peer's address creates the TURN
// permission and sends through the relay, reading returns what peers sent
// to the relayed address. The same client talks to coturn (the traversal
// suite runs it against Debian's turnserver).
//
// It deliberately does not do TCP or TLS/DTLS transports, TCP allocations
// (RFC 6062), quotas, bandwidth limits or IPv6 relaying, and the server
// grants permissions to any peer address (pion's default): it is a relay
// for the lab's peers, not a hardened public service.
//
// Events: turn.start (port), turn.allocation (user, relayed, client),
// turn.allocation_deleted (user), turn.auth_refused (user, why),
// turn.permission (user, peer), turn.log (level, msg: pion's warnings and
// errors).
package relay
