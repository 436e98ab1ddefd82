// Package annexg holds the pure cores of TR-069 Annex G / TR-111 part 2
// (seed 000): the UDP Connection Request codec (Build, Parse) with the
// sender variants real ACSes use, the CPE-side validator (Receiver) with
// the receiver variants real CPEs implement, the server-side keepalive check
// (CheckKeepalive: CONNECTION-REQUEST-BINDING, USERNAME and
// MESSAGE-INTEGRITY in RFC 3489 classic or RFC 5389 framing, 401/431/432
// challenges, replayed transaction IDs) and the online-state tracker
// (Tracker). Nothing here opens a socket or reads a clock: time is passed
// in as simulated time since the run started, and callers serialise calls.
//
// Formats and variants follow ../shared/reference/tr111-stun.md §1.3–1.5.
// Not done: IPv6 literals in connection-request URLs, the "ts too far off"
// tolerance window (the reference has no agreed value), HTTP Digest for the
// TCP connection request.
package annexg
