// Package userspace is boxlab's userspace NAT datapath: a nat.Gateway that
// forwards a gateway namespace's IPv4 between its WAN and LAN interfaces
// itself, over AF_PACKET sockets, and asks the pure NAT table (nat/table,
// RFC 4787 UDP, RFC 5382 TCP, RFC 5508 ICMP) what to do with every packet.
//
// In the namespace it turns ip_forward off and installs a netdev-family
// nftables table whose ingress chains drop the IPv4 the datapath owns (all
// of it on the WAN; on a LAN everything not addressed to the gateway, its
// broadcast or multicast), so the kernel neither forwards nor answers for
// translated traffic while ARP and the gateway's local services still
// work. The packet sockets bind with ETH_P_ALL: such taps run in
// __netif_receive_skb_core before the ingress hook, so they still see the
// frames nftables then drops (checked on 6.18 by the natdp e2e suite and
// TestTapBeforeIngressDrop; a socket bound to ETH_P_IP runs after the hook
// and sees nothing). Sockets are non-blocking and read through Go's
// netpoller with recvmmsg/sendmmsg, 32 frames a call, into buffers borrowed
// from a pool only while frames are waiting, so an idle gateway costs no
// thread and no receive buffer (TestManyIdleGateways: 500 gateways, a
// handful of OS threads, ~34 KiB of Go memory each). An interface that
// sends full batches gets a second, send-only packet socket that Go does
// not poll: a socket in the netpoller's epoll set has a waiter, so the
// kernel runs a write-space wakeup (sock_def_write_space, ep_poll_callback)
// for every frame it frees: perf put that at ~10% of the gateway core for
// 64-byte frames over veth.
// The send-only socket sends with MSG_DONTWAIT and a batch falls back to the
// polled socket (which can wait) when its buffer is full. A reader handles
// its whole batch under one lock of the table. BenchmarkForward64B compares
// the datapath with a raw forwarder on the same sockets and with kernel
// masquerade in one run.
//
// It parses Ethernet/IPv4/UDP/TCP/ICMP itself with bounds checks; fragments,
// IP options, truncated or bad headers, bad checksums and unknown protocols
// are counted by reason and dropped. Checksums: the IPv4 header is
// recomputed; the transport checksum is updated incrementally (RFC 1624)
// when the frame carried a complete one and recomputed in full when the
// kernel reported it partial (TP_STATUS_CSUMNOTREADY, veth TX offload).
// ICMP errors have their quoted packet translated too (RFC 5508 §4). TTL is
// decremented; a packet arriving with TTL 1 is dropped, counted and answered
// with ICMP Time Exceeded from the address of the interface it came in on
// (RFC 1812 §5.3.1, so traceroute sees the gateway), sent to the neighbour
// that sent it, never about an ICMP error or to a non-unicast source, at
// most 1,000 a second with a burst of 50. L2: LAN hosts' MACs are learned
// from their frames; the WAN next hop and unknown LAN hosts are resolved by
// the datapath's own ARP requests, with a few frames queued meanwhile.
// TCP super-frames that veth/macvlan pass through unsegmented (TSO) are cut
// to the egress MTU after translation; the first one a reader sees is
// dropped as oversize while it switches to 64 KiB buffers.
// Impairments (loss, delay, jitter, token-bucket rate) apply per egress side
// with a seeded RNG. The table runs on scenario time (real time × speed).
//
// It deliberately does not: use mmap'ed packet rings (TPACKET_V2 rings pin
// their frames' memory per socket even when idle, thousands of gateways
// times a ring each; TPACKET_V3 also runs a block-retire timer per socket
// forever), fragment or reassemble, forward IP options, send ICMP errors of
// its own other than Time Exceeded (no unreachable, no fragmentation
// needed), forward IPv6, VLAN-tagged frames or anything but unicast IPv4 addressed to the gateway's
// MAC, or segment UDP GSO super-frames (dropped as oversize). Impairment
// delays are real time, not scenario time. The gateway's own IPv4 sockets
// cannot use the WAN while the datapath runs.
package userspace
