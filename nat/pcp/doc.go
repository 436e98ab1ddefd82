// Package pcp is a pure codec for the two port-mapping protocols a home
// gateway answers on UDP 5351: NAT-PMP (RFC 6886, version 0) and the Port
// Control Protocol (RFC 6887, version 2), plus the client-side epoch check
// both use to detect a gateway that lost its mappings.
//
// NAT-PMP: external-address and UDP/TCP map requests and responses with
// their result codes (natpmp.go). PCP: the common request and response
// headers, the ANNOUNCE, MAP and PEER opcodes, the THIRD_PARTY,
// PREFER_FAILURE and FILTER options, result codes 0..13, IPv4-mapped IPv6
// addresses and the mapping nonce (pcp.go, opcodes.go, options.go,
// addr.go). ParseRequest validates in the order of RFC 6887 §8.3 and says,
// for a bad request, whether a server drops it or answers with which result
// code; ErrorResponse builds that answer by copying the request (§7.2).
// Epoch (epoch.go) is the client's state-loss check of RFC 6887 §8.5 and
// RFC 6886 §3.6.
//
// It is our own because no maintained Go library implements the server
// side: github.com/jackpal/go-nat-pmp is a NAT-PMP client only (and dials
// in the caller's network namespace, which our devices cannot use), and
// the PCP code in tailscale's portmapper is client-only and internal.
//
// It deliberately does not do I/O, retransmission, IPv6 prefixes shorter
// than a host in FILTER on the server side (that is the server's policy),
// the PCP authentication option (RFC 7652) or any option beyond the three
// of RFC 6887 §13: an unknown mandatory option is reported for
// UNSUPP_OPTION, an unknown optional one is kept and ignored.
package pcp
