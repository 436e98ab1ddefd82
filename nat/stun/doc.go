// Package stun is boxlab's STUN codec and its RFC 5780 behaviour-discovery
// server.
//
// Two dialects share one Message type. RFC 5389 messages (magic cookie
// 0x2112A442, 96-bit transaction ID) are decoded and encoded with
// github.com/pion/stun/v3, plus the checks pion leaves to its caller (one
// message per datagram, FINGERPRINT last and correct, well-formed values of
// the attributes we read). RFC 3489 "classic" messages (no cookie, 128-bit
// transaction ID) have their own small codec here, ParseClassic and
// BuildClassic, because pion refuses them ("invalid magic cookie") and
// TR-069 Annex G / TR-111 CPEs send nothing else. Parse picks the dialect by
// the cookie. Unknown attributes are kept raw in wire order.
//
// Server answers Binding Requests on the four sockets of RFC 5780 §6
// (A1:P1, A1:P2, A2:P1, A2:P2). RFC 5389 requests get XOR-MAPPED-ADDRESS,
// MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS and FINGERPRINT; classic
// requests get MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS (RFC 3489
// §11.1). Both honour CHANGE-REQUEST by answering from the socket with the
// other address and/or port. OTHER-ADDRESS and CHANGED-ADDRESS name the
// socket diagonally opposite the one the request reached (A2:P2 for A1:P1).
//
// The server never sends to a host other than the request's source:
//   - classic RESPONSE-ADDRESS naming another address gets a 400 Bad Request
//     error (sent from the receiving socket to the source); one naming the
//     source itself is answered normally;
//   - RFC 5780 RESPONSE-PORT is honoured, since it changes the port only,
//     on the source's own address (RFC 5780 §7.5); the discovery client
//     needs it to measure mapping lifetime (RFC 5780 §4.6);
//   - unknown comprehension-required attributes get 420 with
//     UNKNOWN-ATTRIBUTES (RFC 5389 §7.3.1, RFC 3489 §8.2).
//
// Deliberately not done: authentication (USERNAME and MESSAGE-INTEGRITY are
// accepted and not checked, in either dialect; a TR-111 keepalive server
// that validates them belongs to the ACS side), PADDING-sized responses
// (RFC 5780 §7.4), TCP/TLS, TURN, IPv6 classic (RFC 3489 is IPv4-only; the
// codec still reads family 2), and REFLECTED-FROM (only sent when a reply
// goes to a RESPONSE-ADDRESS, which this server refuses).
package stun
