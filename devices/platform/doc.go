// Package platform is seed 002's public platform server that reaches
// unmodified cameras behind NAT through a LAN trigger, and the wire formats
// it shares with package trigger: the indication packet (indication.go, the
// one binary format of fields ①–⑤ + PD1 with version and length, checked on
// parse) and the REGISTER datagram (control.go).
//
// The platform is a registrar for triggers (credentials from option users,
// refreshed registrations); it keeps a resource table keyed by (trigger
// public address, camera private IP), so identical private IPs in different
// homes stay distinct; it sends the trigger an indication per attempt,
// records the camera's public address from its answer (S8), answers there
// (S9: connected) and sends SIP OPTIONS keepalives to it every keepalive
// period so the camera's answers hold the NAT mapping (S10). For RTSP
// cameras the trigger forges a TCP SYN and the platform completes, from user
// space, the handshake it did not start (tcp.go explains the raw socket and
// the nftables rule that silences the kernel's RSTs), then speaks over it
// (dialogue.go): RTSP OPTIONS and DESCRIBE pipelined to an rtsp camera, a
// BXSDK/1 login (camera/sdk.go) to an sdk camera, whose session it then
// keeps with a BXSDK keepalive every keepalive period over the same
// connection (resending what the camera has not acknowledged, as a TCP
// sender does; lost after lost_after silent periods). Option via_port writes
// another port than the source port in the Via of its requests, to check
// that cameras honour rport (RFC 3581 §4).
//
// A camera lost to unanswered keepalives is connected again through its
// trigger at the trigger's next registration refresh (platform.reconnect);
// a trigger that registers from a new public address (WAN change) makes its
// cameras new resources. A camera whose connection failed is not retried
// until then: the NAT in front of it did not let it through.
//
// It does not expire registrations (expires is only announced), keep an
// RTSP connection open after its exchange, or relay media.
//
// Events (the home group is the trigger node's, e.g. lin for lin3-trigger0,
// so a scenario asserts per NAT profile): platform.register,
// platform.refresh, platform.register_refused, platform.bad_register,
// platform.resource(_<group>), platform.shared_private_ip,
// platform.indication, platform.connected(_<group>) with latency,
// platform.connect_failed(_<group>), platform.keepalive,
// platform.keepalive_ok(_<group>), platform.camera_lost(_<group>) with
// silence, platform.reconnect, platform.untranslated (a UDP answer from the
// camera's private address), platform.tcp_untranslated(_<group>) (a
// SYN-ACK that left its home without NAT), platform.rtsp_ok,
// platform.rtsp_refused, platform.rtsp_describe_ok,
// platform.rtsp_describe_failed, platform.bad_rtsp, platform.sdk_login_ok,
// platform.sdk_login_denied, platform.sdk_keepalive_ok, platform.bad_sdk,
// platform.message_ok (the camera answered the MESSAGE of S9),
// platform.rport_missing (a first answer whose Via lacks rport=<port> and
// received=).
package platform
