// Package traversal is the end-to-end suite of seeds 002 and 001: it runs the
// shipped traversal scenarios through the runner — the UDP trigger variant
// behind kernel and userspace NATs with duplicate private IPs and a trigger
// crash, the TCP SYN variant failing through Linux-faithful NATs and
// succeeding where the NAT maps an outbound SYN-ACK, and keepalives holding
// the mapping past the NAT timeout, recovery from a platform restart and a
// WAN change — and checks every assertion holds. For seed 001 it plays
// devices over real sockets against the rendezvous server (impostors, wrong
// passwords, replays, malformed messages, offline and expiry, key wrapping)
// and against the stb peer (replayed, altered, garbage and old-key packets),
// and runs scenarios/peer.yaml and the NAT matrix scenarios/peer-matrix.yaml.
// It plays the server to the peer to replay offers, and runs the relay
// fallback: scenarios/peer-relay.yaml, the matrix with a relay
// (scenarios/peer-matrix-relay.yaml) and a session through Debian's coturn
// (skipped when turnserver is not installed).
// Needs root (namespaces, raw sockets, nftables).
package traversal
