// Package camera is seed 002's unmodified surveillance camera (the "social
// monitoring resource"): it answers whatever reaches its signalling ports and
// knows nothing of NAT. SIP/GB28181-style UDP (default 5060) answers OPTIONS
// and MESSAGE with 200 OK sent to the packet's source address (RFC 3581
// rport), which is what lets a trigger packet with a forged source open a
// NAT mapping towards the platform; RTSP-style TCP (default 554) answers
// OPTIONS and DESCRIBE. Any real camera or SIP/RTSP server can replace it as
// an exec node. It does not do registration, media, or the vendor-SDK port.
//
// Events: camera.sip (from, method), camera.rtsp, camera.bad_sip,
// camera.sip_unsupported.
package camera
