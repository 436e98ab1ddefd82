// Package camera is the conformance suite of seed 002's camera side: a
// camera under test runs as an `exec` node in a home behind a NAT, and
// boxlab plays everything else — the LAN trigger that forges the platform's
// address, the NAT gateway, and the public platform — to check that the
// camera answers a trigger packet the way the platform needs. Every spec is
// named by the rule it checks and reads one assertion of a scenario run
// (measured and expected values go to GinkgoWriter):
//
//   - SIP (UDP 5060): the camera answers the trigger's OPTIONS to the
//     packet's source IP and port even though the Via names another port
//     (RFC 3581 §4, rport), with rport= and received= in its Via, echoing
//     Call-ID and CSeq (RFC 3261 §8.2.6.2); the answer crosses the NAT and
//     the platform records the camera's public address (seed 002 S8); it
//     answers the platform's MESSAGE (S9) and every keepalive, so the
//     mapping outlives the NAT's UDP timeout (S10) behind linux,
//     port-restricted-cone and symmetric NATs.
//   - RTSP (TCP 554): the camera answers the forged SYN; through a NAT that
//     maps the outbound SYN-ACK the platform completes the handshake and
//     gets 200 to OPTIONS and to DESCRIBE with an SDP (RFC 2326 §10.1, §10.2).
//   - BXSDK/1 (TCP 8000, devices/camera/sdk.go): the same handshake, then a
//     login with the right credentials is answered login ok and a wrong one
//     login denied.
//
// Cameras under test: boxlab's own camera role run as a program
// (`bin/boxlab device camera`; make build first), and where Debian has a
// real implementation: kamailio (package kamailio, a stateless SIP server
// answering OPTIONS/MESSAGE, testdata/kamailio.cfg) as a SIP camera and
// GStreamer's RTSP server (packages python3-gi, gir1.2-gst-rtsp-server-1.0,
// gstreamer1.0-plugins-base/-good; testdata/rtsp_camera.py) as an RTSP
// camera. A candidate whose program is absent is skipped with the reason.
//
// A control spec shows the rport rule is discriminating: boxlab's camera
// with ignore_rport is never reached next to the same camera honouring it.
//
// A vendor's camera: BOXLAB_CAMERA_UNDER_TEST is a shell command line run
// in the camera's namespace (its address is $BOXLAB_ADDR, 192.168.1.100 in
// a 192.168.1.0/24 LAN whose gateway is .1), which must serve until SIGTERM;
// BOXLAB_CAMERA_TYPES lists what it serves, comma-separated, of sip (UDP
// 5060), rtsp (TCP 554, stream at rtsp://<addr>:554/) and sdk (TCP 8000,
// BXSDK/1 with user admin, password admin); default sip,rtsp. The camera
// runs in real time whatever the scenario's speed: it only answers.
//
// Needs root (namespaces, raw sockets, nftables).
package camera
