// Package trigger is seed 002's LAN trigger: a small program on any PC in the
// cameras' LAN. It is configured with the platform's server name and its
// cameras' private addresses and types (option cameras), registers with the
// platform over UDP with credentials — retransmitted every second until the
// platform answers, then refreshed every refresh period (S1, S3) — and on
// each indication packet (S6) sends the trigger packet (S7): a packet whose
// source is forged to the platform's public IP:port, to the camera — UDP
// carrying PD1, or a bare TCP SYN — through a raw IPv4 socket (see forger).
// Once the camera answered the platform, the trigger is out of the path: it
// may crash and the camera stays connected.
//
// It does not discover cameras (no WS-Discovery or ARP scan) and forges only
// towards cameras it reported.
//
// Events: trigger.registered, trigger.refused, trigger.forged (each also as
// <event>_<home group>, e.g. trigger.refused_lin, for per-home assertions),
// trigger.bad_indication, trigger.unknown_camera, trigger.forge_error.
package trigger
