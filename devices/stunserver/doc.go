// Package stunserver is the role stun-5780: an RFC 5780 STUN server (package
// nat/stun) on a server node with two addresses (`addresses: 2` in the
// topology), listening on both at `port` (default 3478) and `alt_port`
// (default 3479). It answers RFC 5389 and RFC 3489 classic Binding Requests,
// honours CHANGE-REQUEST and RESPONSE-PORT, and is what `boxlab nat probe`
// and the NAT conformance suite measure NATs against.
//
// It does not authenticate (TR-111 USERNAME / MESSAGE-INTEGRITY are
// accepted unchecked), keep per-CPE state, or send UDP Connection Requests:
// those belong to an ACS-side role.
//
// Events: stun.serve (a Binding Success: dialect, from, reply_from,
// change_ip, change_port), stun.refused (an error response: code, reason),
// stun.stats (counters when the role stops).
package stunserver
