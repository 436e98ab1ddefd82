// Package camera is seed 002's unmodified surveillance camera (the "social
// monitoring resource"): it answers whatever reaches its signalling ports and
// knows nothing of NAT. SIP/GB28181-style UDP (default 5060) answers OPTIONS
// and MESSAGE with 200 OK sent to the packet's source address (RFC 3581
// rport), which is what lets a trigger packet with a forged source open a
// NAT mapping towards the platform; RTSP-style TCP (default 554) answers
// OPTIONS and DESCRIBE; the vendor-SDK-like TCP port (default 8000) speaks
// BXSDK/1, a small binary login protocol of boxlab's own documented in
// sdk.go (no vendor's protocol is copied). Any real camera or SIP/RTSP
// server can replace it as an exec node. It does not do registration or
// media. Option ignore_rport models firmware that ignores rport: it
// answers to the Via's sent-by port (RFC 3261 §18.2.2), which no NAT lets
// back in.
//
// Events: camera.sip (from, method), camera.rtsp, camera.sdk_login (each
// also as <event>_<home group>, e.g. camera.sip_lin), camera.sdk_denied,
// camera.sdk_keepalive, camera.bad_sdk, camera.bad_sip,
// camera.sip_unsupported.
package camera
