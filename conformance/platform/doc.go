// Package platform is the conformance suite of seed 002's platform side: a
// platform server under test runs as an `exec` node on the server named
// platform, and boxlab's own triggers and cameras, in homes behind every NAT
// profile family, exercise it. Every spec is named by the rule it checks and
// reads one assertion of one scenario run, measured on boxlab's side of the
// wire only (trigger.*, camera.* and echo.* events), so any platform can be
// judged (measured and expected values go to GinkgoWriter, the specs to the
// junit report):
//
//   - registration (S1/S2): a trigger with the right credentials gets OK, one
//     with a wrong password is refused and its cameras never get an
//     indication; malformed datagrams on the registrar and on the signalling port
//     (UDP 5060) are never answered as valid and do not disturb the rest;
//   - indication format (S6): every indication parses with boxlab's trigger
//     parser (devices/platform/indication.go: version, command ⑤, length,
//     camera ①②, server ③④, PD1) and names a camera the trigger reported;
//     PD1 is a request boxlab's SIP camera answers;
//   - connection through each NAT profile family (S7–S9): linux,
//     linux-fullcone, full-cone, port-restricted-cone and symmetric homes,
//     every camera at the same private address 192.168.1.100 (S5: kept
//     apart by the trigger's public address), each keeps getting the
//     platform's requests at its public address;
//   - keepalives (S10): behind the userspace NATs with an 8 s UDP timeout the
//     camera still gets requests long after the timeout, so keepalives held
//     the mapping;
//   - the TCP variant (when the platform serves rtsp or sdk cameras): behind a
//     NAT that maps an outbound SYN-ACK the platform completes the handshake
//     it did not start and speaks RTSP to an rtsp camera, a BXSDK/1 login
//     (user admin, password admin) to an sdk camera, whose session it keeps
//     with BXSDK keepalives.
//
// A control spec runs boxlab's platform with keepalives off and checks that
// the S10 rules fail: they measure keepalives, not reachability.
//
// Platform under test: boxlab's own platform role run as a program
// (`bin/boxlab device platform`; make build first), or a vendor's:
// BOXLAB_PLATFORM_UNDER_TEST is a shell command line run in the platform's
// namespace ($BOXLAB_ADDR is its public address) until SIGTERM. It must
// serve seed 002's registrar on UDP 5080 (the REGISTER datagram of
// devices/platform/control.go: accept user trigger with password secret,
// answer "OK <expires>", refuse others with "DENIED <reason>"), send each
// reported camera an indication in the binary format of
// devices/platform/indication.go, and keep connected SIP cameras alive with
// requests at least every 5 s (the NATs' UDP timeout is 8 s). The run is at
// speed 1 (real time). BOXLAB_PLATFORM_TYPES lists the camera types it
// serves, comma-separated, of sip, rtsp and sdk (default sip); an sdk
// session must be kept with BXSDK keepalives at least every 5 s.
//
// Needs root (namespaces, raw sockets, nftables).
package platform
