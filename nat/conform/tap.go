package conform

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/sim/topology"
)

// tcpSeg is a TCP segment as a tap saw it.
type tcpSeg struct {
	Src, Dst netip.AddrPort
	Flags    uint8
	Seq      uint32
	Head     []byte // the IP header and the first 8 bytes of TCP, as an ICMP error quotes them
}

func (s tcpSeg) is(flags uint8) bool { return s.Flags&(tcpSYN|tcpACK|tcpRST|tcpFIN) == flags }

// TCP flags as in the header.
const (
	tcpFIN uint8 = 0x01
	tcpSYN uint8 = 0x02
	tcpRST uint8 = 0x04
	tcpACK uint8 = 0x10
)

// tcpTap is a raw TCP socket in a namespace: it sees a copy of every TCP
// segment addressed to the namespace, before TCP itself handles (or drops)
// it.
type tcpTap struct{ fd int }

func (h *Harness) tcpTap(n *topology.Live) (*tcpTap, error) {
	fd, err := n.NS.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP)
	if err != nil {
		return nil, fmt.Errorf("%s: raw TCP socket: %w", n.Name, err)
	}
	t := &tcpTap{fd: fd}
	h.track(t)
	return t, nil
}

func (t *tcpTap) Close() error { return unix.Close(t.fd) }

// next returns the next segment match accepts, or false after d.
func (t *tcpTap) next(d time.Duration, match func(tcpSeg) bool) (tcpSeg, bool) {
	buf := make([]byte, 65536)
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return tcpSeg{}, false
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		unix.SetsockoptTimeval(t.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		n, _, err := unix.Recvfrom(t.fd, buf, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return tcpSeg{}, false
		}
		if n < 20 {
			continue
		}
		ihl := int(buf[0]&0x0f) * 4
		if n < ihl+20 {
			continue
		}
		th := buf[ihl:n]
		s := tcpSeg{
			Src:   netip.AddrPortFrom(netip.AddrFrom4([4]byte(buf[12:16])), binary.BigEndian.Uint16(th[0:])),
			Dst:   netip.AddrPortFrom(netip.AddrFrom4([4]byte(buf[16:20])), binary.BigEndian.Uint16(th[2:])),
			Seq:   binary.BigEndian.Uint32(th[4:]),
			Flags: th[13],
			Head:  append([]byte(nil), buf[:ihl+8]...),
		}
		if match(s) {
			return s, true
		}
	}
}

// fdCloser closes a file descriptor with the harness.
type fdCloser int

func (f fdCloser) Close() error { return unix.Close(int(f)) }

// deafListener opens a TCP listener on addr in n's namespace whose accept
// queue is filled by one connection from filler and never drained: the
// kernel then drops every further SYN to addr silently (no SYN-ACK, no RST),
// while a socket that connects from addr (SO_REUSEPORT) still gets the
// segments of its own connection.
func (h *Harness) deafListener(n, filler *topology.Live, addr netip.AddrPort) error {
	fd, err := n.NS.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err != nil {
		return fmt.Errorf("%s: TCP socket: %w", n.Name, err)
	}
	h.track(fdCloser(fd))
	for _, o := range []int{unix.SO_REUSEADDR, unix.SO_REUSEPORT} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o, 1); err != nil {
			return fmt.Errorf("%s: setsockopt: %w", n.Name, err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: addr.Addr().As4(), Port: int(addr.Port())}); err != nil {
		return fmt.Errorf("%s: bind %v: %w", n.Name, addr, err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		return fmt.Errorf("%s: listen on %v: %w", n.Name, addr, err)
	}
	if _, err := h.Dial(filler, netip.AddrPort{}, addr, 2*time.Second, 0); err != nil {
		return fmt.Errorf("%s: filling the accept queue of %v: %w", filler.Name, addr, err)
	}
	return nil
}
