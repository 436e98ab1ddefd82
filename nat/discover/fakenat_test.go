package discover

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// fakeNAT is a small userspace NAT for the tests: inside sockets are
// in-memory PacketConns, each mapping is a real UDP socket on 127.0.0.3, so
// the server and the kernel see real packets. Mappings expire after timeout
// without outbound traffic (inbound does not refresh them).
type fakeNAT struct {
	mapping, filtering Behaviour
	hairpin, preserve  bool
	timeout            time.Duration // 0: never

	mu    sync.Mutex
	maps  map[natKey]*natMapping
	ports atomic.Uint32
}

var natExt = netip.MustParseAddr("127.0.0.3")

type natKey struct {
	conn *natConn
	dst  netip.AddrPort // the part of the destination the mapping depends on
}

type natMapping struct {
	ext    *net.UDPConn
	inside *natConn
	perms  map[netip.AddrPort]bool
	last   time.Time
}

func (n *fakeNAT) dial() (net.PacketConn, error) {
	if n.ports.Load() == 0 {
		n.ports.Store(40000)
	}
	c := &natConn{nat: n, local: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), uint16(n.ports.Add(1))),
		in: make(chan natPacket, 64), closed: make(chan struct{}), dlChanged: make(chan struct{})}
	return c, nil
}

func (n *fakeNAT) key(c *natConn, dst netip.AddrPort) natKey {
	switch n.mapping {
	case EndpointIndependent:
		return natKey{conn: c}
	case AddressDependent:
		return natKey{conn: c, dst: netip.AddrPortFrom(dst.Addr(), 0)}
	}
	return natKey{conn: c, dst: dst}
}

func (n *fakeNAT) expired(m *natMapping) bool {
	return n.timeout > 0 && time.Since(m.last) > n.timeout
}

func (n *fakeNAT) outbound(c *natConn, b []byte, dst netip.AddrPort) error {
	if dst.Addr() == natExt && !n.hairpin {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	k := n.key(c, dst)
	m := n.maps[k]
	if m != nil && n.expired(m) {
		m.ext.Close()
		m = nil
	}
	if m == nil {
		var port uint16
		if n.preserve {
			port = c.local.Port()
		}
		ext, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(natExt, port)))
		if err != nil {
			return err
		}
		m = &natMapping{ext: ext, inside: c, perms: map[netip.AddrPort]bool{}}
		if n.maps == nil {
			n.maps = map[natKey]*natMapping{}
		}
		n.maps[k] = m
		go n.inbound(m)
	}
	m.last = time.Now()
	m.perms[dst] = true
	_, err := m.ext.WriteToUDPAddrPort(b, dst)
	return err
}

func (n *fakeNAT) inbound(m *natMapping) {
	buf := make([]byte, 2048)
	for {
		k, src, err := m.ext.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		n.mu.Lock()
		pass := !n.expired(m) && n.allowed(m, src)
		n.mu.Unlock()
		if pass {
			select {
			case m.inside.in <- natPacket{append([]byte(nil), buf[:k]...), src}:
			default:
			}
		}
	}
}

func (n *fakeNAT) allowed(m *natMapping, src netip.AddrPort) bool {
	switch n.filtering {
	case EndpointIndependent:
		return true
	case AddressDependent:
		for p := range m.perms {
			if p.Addr() == src.Addr() {
				return true
			}
		}
		return false
	}
	return m.perms[src]
}

func (n *fakeNAT) release(c *natConn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, m := range n.maps {
		if k.conn == c {
			m.ext.Close()
			delete(n.maps, k)
		}
	}
}

type natPacket struct {
	b    []byte
	from netip.AddrPort
}

// natConn is an inside socket: a net.PacketConn whose packets go through the fake NAT.
type natConn struct {
	nat       *fakeNAT
	local     netip.AddrPort
	in        chan natPacket
	closed    chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	deadline  time.Time
	dlChanged chan struct{}
}

func (c *natConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		c.mu.Lock()
		dl, changed := c.deadline, c.dlChanged
		c.mu.Unlock()
		var timeout <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			timeout = t.C
			defer t.Stop()
		}
		select {
		case p := <-c.in:
			return copy(b, p.b), net.UDPAddrFromAddrPort(p.from), nil
		case <-timeout:
			return 0, nil, os.ErrDeadlineExceeded
		case <-changed:
		case <-c.closed:
			return 0, nil, net.ErrClosed
		}
	}
}

func (c *natConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	u, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, os.ErrInvalid
	}
	return len(b), c.nat.outbound(c, b, u.AddrPort())
}

func (c *natConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed); c.nat.release(c) })
	return nil
}

func (c *natConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.local) }

func (c *natConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *natConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	close(c.dlChanged)
	c.dlChanged = make(chan struct{})
	c.mu.Unlock()
	return nil
}

func (c *natConn) SetWriteDeadline(time.Time) error { return nil }
