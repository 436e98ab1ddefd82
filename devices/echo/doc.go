// Package echo is the quickstart's pair of roles: udp-echo, a server that
// answers every datagram with the request and the source address it saw
// (like a STUN binding, in text), and udp-pinger, a LAN device that sends a
// numbered request every interval and records round-trip time, losses and
// whether its gateway translated it (the seen address is the home's public
// address). It exists to prove the topology, the NAT and the timeline; it is
// not a protocol anyone else speaks.
//
// Events: echo.request, echo.reply (rtt), echo.lost, echo.translated,
// echo.untranslated, echo.bad_reply (pinger); echo.serve, echo.bad_request
// (server).
package echo
