package conform

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/sim/topology"
)

// Hand-made packets for what sockets cannot send: ICMP errors from a host
// that is not the destination, and IP fragments in a chosen order.

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// ipv4 is a 20-byte IPv4 header; fragOff is in bytes (a multiple of 8).
func ipv4(src, dst netip.Addr, proto byte, payload int, id uint16, fragOff int, more bool) []byte {
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+payload))
	binary.BigEndian.PutUint16(h[4:], id)
	ff := uint16(fragOff / 8)
	if more {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(h[6:], ff)
	h[8] = 64
	h[9] = proto
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	binary.BigEndian.PutUint16(h[10:], checksum(h))
	return h
}

// udpDatagram is a UDP header and payload with its checksum.
func udpDatagram(src, dst netip.AddrPort, payload []byte) []byte {
	u := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(len(u)))
	copy(u[8:], payload)
	pseudo := make([]byte, 12, 12+len(u))
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(pseudo[0:], s[:])
	copy(pseudo[4:], d[:])
	pseudo[9] = unix.IPPROTO_UDP
	binary.BigEndian.PutUint16(pseudo[10:], uint16(len(u)))
	cs := checksum(append(pseudo, u...))
	if cs == 0 {
		cs = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], cs)
	return u
}

// fragments splits a UDP datagram into IP fragments of at most size payload
// bytes (a multiple of 8).
func fragments(src, dst netip.AddrPort, payload []byte, id uint16, size int) [][]byte {
	u := udpDatagram(src, dst, payload)
	var out [][]byte
	for off := 0; off < len(u); off += size {
		end := min(off+size, len(u))
		hdr := ipv4(src.Addr(), dst.Addr(), unix.IPPROTO_UDP, end-off, id, off, end < len(u))
		out = append(out, append(hdr, u[off:end]...))
	}
	return out
}

// sendRaw sends whole IP packets (headers included) from n's namespace.
func sendRaw(n *topology.Live, dst netip.Addr, pkts ...[]byte) error {
	fd, err := n.NS.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		return fmt.Errorf("%s: raw socket: %w", n.Name, err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrInet4{Addr: dst.As4()}
	for _, p := range pkts {
		if err := unix.Sendto(fd, p, 0, to); err != nil {
			return fmt.Errorf("%s: send raw to %v: %w", n.Name, dst, err)
		}
	}
	return nil
}

// icmpError is an ICMP error message of type and code quoting the packet
// inner (its IP header and first 8 bytes).
func icmpError(typ, code byte, inner []byte) []byte {
	if len(inner) > 28 {
		inner = inner[:28]
	}
	b := make([]byte, 8+len(inner))
	b[0], b[1] = typ, code
	copy(b[8:], inner)
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}

// icmpSocket is a raw ICMP socket in a namespace: it sends ICMP messages
// (the kernel adds the IP header) and sees a copy of every ICMP packet.
type icmpSocket struct{ fd int }

func (h *Harness) icmpSocket(n *topology.Live) (*icmpSocket, error) {
	fd, err := n.NS.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
	if err != nil {
		return nil, fmt.Errorf("%s: ICMP socket: %w", n.Name, err)
	}
	s := &icmpSocket{fd: fd}
	h.track(s)
	return s, nil
}

// icmpSockets opens a raw ICMP socket on each node, in order.
func (h *Harness) icmpSockets(nodes ...*topology.Live) ([]*icmpSocket, error) {
	socks := make([]*icmpSocket, len(nodes))
	for i, n := range nodes {
		s, err := h.icmpSocket(n)
		if err != nil {
			return nil, err
		}
		socks[i] = s
	}
	return socks, nil
}

func (s *icmpSocket) Close() error { return unix.Close(s.fd) }

func (s *icmpSocket) send(dst netip.Addr, msg []byte) error {
	return unix.Sendto(s.fd, msg, 0, &unix.SockaddrInet4{Addr: dst.As4()})
}

// recv returns the next ICMP packet that match accepts (as source address
// and ICMP message), or false after d.
func (s *icmpSocket) recv(d time.Duration, match func(src netip.Addr, icmp []byte) bool) (netip.Addr, []byte, bool) {
	buf := make([]byte, 65536)
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return netip.Addr{}, nil, false
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		unix.SetsockoptTimeval(s.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		n, _, err := unix.Recvfrom(s.fd, buf, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return netip.Addr{}, nil, false
		}
		if n < 20 {
			continue
		}
		ihl := int(buf[0]&0x0f) * 4
		if n < ihl+8 {
			continue
		}
		src := netip.AddrFrom4([4]byte(buf[12:16]))
		msg := append([]byte(nil), buf[ihl:n]...)
		if match(src, msg) {
			return src, msg, true
		}
	}
}

// echo is an ICMP echo request (typ 8) or reply (typ 0).
func echo(typ byte, id, seq uint16, data []byte) []byte {
	b := make([]byte, 8+len(data))
	b[0] = typ
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], data)
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}
