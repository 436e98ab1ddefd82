// Package traversal is the end-to-end suite of seed 002: it runs the
// shipped traversal scenarios through the runner — the UDP trigger variant
// behind kernel and userspace NATs with duplicate private IPs and a trigger
// crash, the TCP SYN variant failing through Linux-faithful NATs and
// succeeding where the NAT maps an outbound SYN-ACK, and keepalives holding
// the mapping past the NAT timeout, recovery from a platform restart and a
// WAN change — and checks every assertion holds.
// Needs root (namespaces, raw sockets, nftables).
package traversal
