package conform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/sim/topology"
)

// RFC 5382: NAT behavioural requirements for TCP.
func tcpRequirements() []Requirement {
	return []Requirement{
		{ID: "RFC5382 REQ-1", Title: "TCP endpoint-independent mapping", Level: MUST, Check: checkTCPMapping},
		{ID: "RFC5382 REQ-2", Title: "TCP simultaneous open: an inbound SYN crossing an outbound SYN passes", Level: MUST, Check: checkSimultaneousOpen},
		{ID: "RFC5382 REQ-3", Title: "TCP endpoint-independent or address-dependent filtering", Level: RECOMMENDED, Check: checkTCPFiltering},
		{ID: "RFC5382 REQ-4", Title: "No response to an unsolicited inbound SYN for 6 s", Level: MUST, Speed: 10, Check: checkUnsolicitedSYN},
		{ID: "RFC5382 REQ-5", Title: "Established TCP idle timeout of at least 2 h 4 min", Level: MUST, Speed: 2000, Check: checkTCPEstablished},
	}
}

// tcpControl sets SO_REUSEADDR and SO_REUSEPORT (several sockets share one
// local port) and, if ttl > 0, the IP TTL.
func tcpControl(ttl int) func(string, string, syscall.RawConn) error {
	return func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = errors.Join(unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1),
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1))
			if ttl > 0 {
				serr = errors.Join(serr, unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, ttl))
			}
		})
		return errors.Join(err, serr)
	}
}

// Listen opens a TCP listener in n's namespace (no keepalives), closed with the harness.
func (h *Harness) Listen(n *topology.Live, addr netip.Addr, port int) (*net.TCPListener, error) {
	var l net.Listener
	err := n.NS.Do(func() error {
		lc := net.ListenConfig{KeepAlive: -1, Control: tcpControl(0)}
		var err error
		l, err = lc.Listen(context.Background(), "tcp4", netip.AddrPortFrom(addrOrAny(addr), uint16(port)).String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %v:%d: %w", n.Name, addr, port, err)
	}
	h.track(l)
	return l.(*net.TCPListener), nil
}

func addrOrAny(a netip.Addr) netip.Addr {
	if a.IsValid() {
		return a
	}
	return netip.IPv4Unspecified()
}

// Dial connects from n (local addr:port, either may be zero) to dst within d
// real time, with no keepalives; ttl > 0 sets the IP TTL.
func (h *Harness) Dial(n *topology.Live, local netip.AddrPort, dst netip.AddrPort, d time.Duration, ttl int) (*net.TCPConn, error) {
	var c net.Conn
	err := n.NS.Do(func() error {
		dl := net.Dialer{KeepAlive: -1, Timeout: d, Control: tcpControl(ttl),
			LocalAddr: &net.TCPAddr{IP: addrOrAny(local.Addr()).AsSlice(), Port: int(local.Port())}}
		var err error
		c, err = dl.Dial("tcp4", dst.String())
		return err
	})
	if err != nil {
		return nil, err
	}
	h.track(c)
	return c.(*net.TCPConn), nil
}

// accept waits up to d for a connection on l and returns its remote address.
func (h *Harness) accept(l *net.TCPListener, d time.Duration) (*net.TCPConn, netip.AddrPort, bool) {
	l.SetDeadline(time.Now().Add(d))
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, netip.AddrPort{}, false
	}
	h.track(c)
	ap := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	return c, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

func checkTCPMapping(ctx context.Context, h *Harness) Outcome {
	local := netip.AddrPortFrom(netip.Addr{}, 47000)
	dsts := []struct {
		name string
		n    *topology.Live
		dst  netip.AddrPort
	}{
		{"s1:80", h.S1, netip.AddrPortFrom(h.S1Addr, 80)},
		{"s1:81", h.S1, netip.AddrPortFrom(h.S1Addr, 81)},
		{"s1'(2nd address):80", h.S1, netip.AddrPortFrom(h.S1Alt, 80)},
		{"s2:80", h.S2, netip.AddrPortFrom(h.S2Addr, 80)},
	}
	var m []netip.AddrPort
	var seen string
	for _, d := range dsts {
		l, err := h.Listen(d.n, d.dst.Addr(), int(d.dst.Port()))
		if err != nil {
			return failed(err)
		}
		if _, err := h.Dial(h.LAN1, local, d.dst, 3*time.Second, 0); err != nil {
			return failed(fmt.Errorf("lan0:%d to %s: %w", local.Port(), d.name, err))
		}
		_, from, ok := h.accept(l, 2*time.Second)
		if !ok {
			return failed(fmt.Errorf("%s accepted nothing", d.name))
		}
		m = append(m, from)
		seen += fmt.Sprintf(", to %s as %v", d.name, from)
	}
	kind := "APDM"
	switch {
	case m[0] == m[1] && m[0] == m[2] && m[0] == m[3]:
		kind = "EIM"
	case m[0] == m[1]:
		kind = "ADM"
	}
	return comply(kind == "EIM", kind, "connections from lan0:%d%s: %s", local.Port(), seen, kind)
}

func checkTCPFiltering(ctx context.Context, h *Harness) Outcome {
	const port = 47100
	lan, err := h.Listen(h.LAN1, netip.Addr{}, port)
	if err != nil {
		return failed(err)
	}
	s1, err := h.Listen(h.S1, h.S1Addr, 80)
	if err != nil {
		return failed(err)
	}
	if _, err := h.Dial(h.LAN1, netip.AddrPortFrom(netip.Addr{}, port), netip.AddrPortFrom(h.S1Addr, 80), 3*time.Second, 0); err != nil {
		return failed(fmt.Errorf("lan0:%d to s1:80: %w", port, err))
	}
	_, m, ok := h.accept(s1, 2*time.Second)
	if !ok {
		return failed(errors.New("s1:80 accepted nothing"))
	}
	try := func(n *topology.Live, from netip.Addr) bool {
		_, err := h.Dial(n, netip.AddrPortFrom(from, 0), m, 700*time.Millisecond, 0)
		if err != nil {
			return false
		}
		_, _, ok := h.accept(lan, 500*time.Millisecond)
		return ok
	}
	otherPort := try(h.S1, h.S1Addr)
	otherAddr := try(h.S1, h.S1Alt)
	otherHost := try(h.S2, h.S2Addr)
	kind := "APDF"
	switch {
	case otherPort && otherAddr && otherHost:
		kind = "EIF"
	case otherPort && !otherAddr && !otherHost:
		kind = "ADF"
	case otherAddr || otherHost:
		kind = "inconsistent"
	}
	return comply(kind == "EIF" || kind == "ADF", kind,
		"lan0:%d (listening) connected to s1:80 as %v; new connections to %v from another port of s1 %s, from s1's 2nd address %s, from s2 %s: %s",
		port, m, m, accepted(otherPort), accepted(otherAddr), accepted(otherHost), kind)
}

func accepted(b bool) string {
	if b {
		return "accepted"
	}
	return "refused"
}

func checkUnsolicitedSYN(ctx context.Context, h *Harness) Outcome {
	dst := netip.AddrPortFrom(h.Public, 47200)
	icmp, err := h.icmpSocket(h.S1)
	if err != nil {
		return failed(err)
	}
	// Prime the path (neighbour entries in the core and the gateway) with a
	// datagram to the same port, so that a lost first SYN cannot pass for
	// silence: a kernel gateway answers it with port unreachable.
	if err := h.primePath(h.S1, netip.AddrPortFrom(h.S1Addr, 0), dst, icmp); err != nil {
		return failed(err)
	}
	wait := h.Real(6*time.Second) + 500*time.Millisecond
	start := time.Now()
	_, err = h.Dial(h.S1, netip.AddrPortFrom(h.S1Addr, 0), dst, wait, 0)
	took := time.Duration(float64(time.Since(start)) * h.Speed)
	var ne net.Error
	switch {
	case err == nil:
		return comply(false, "accepted", "a SYN from s1 to %v (no mapping) was answered by a connection", dst)
	case errors.As(err, &ne) && ne.Timeout():
		return comply(true, "silent", "a SYN from s1 to %v (no mapping): no answer for %v", dst, took.Round(time.Millisecond))
	}
	by := "a TCP RST"
	if _, _, ok := icmp.recv(100*time.Millisecond, func(src netip.Addr, m []byte) bool {
		return src == h.Public && m[0] == 3
	}); ok {
		by = "an ICMP destination unreachable"
	}
	ok := took >= 6*time.Second
	label := "answered early"
	if ok {
		label = "silent"
	}
	return comply(ok, label, "a SYN from s1 to %v (no mapping) was refused by %s after %v (%v)", dst, by, took.Round(time.Millisecond), err)
}

func checkTCPEstablished(ctx context.Context, h *Harness) Outcome {
	return untilConclusive(func(try int) (Outcome, bool) { return tcpEstablishedOnce(ctx, h, 80+try) })
}

func tcpEstablishedOnce(ctx context.Context, h *Harness, port int) (Outcome, bool) {
	// The RFC minimum less a tolerance (1.6%, 60 ms real at speed 2000)
	// for the probe's own delay: a NAT that keeps exactly 2 h 4 min complies.
	const idle = 2*time.Hour + 2*time.Minute
	l, err := h.Listen(h.S1, h.S1Addr, port)
	if err != nil {
		return failed(err), true
	}
	c, err := h.Dial(h.LAN1, netip.AddrPort{}, netip.AddrPortFrom(h.S1Addr, uint16(port)), 3*time.Second, 0)
	if err != nil {
		return failed(err), true
	}
	srv, m, ok := h.accept(l, 2*time.Second)
	if !ok {
		return failed(fmt.Errorf("s1:%d accepted nothing", port)), true
	}
	quiet := time.Now()
	if err := h.Wait(ctx, idle); err != nil {
		return failed(err), true
	}
	// the probe left late enough that even a NAT keeping the minimum may
	// have expired the connection: that proves nothing
	late := time.Duration(float64(time.Since(quiet))*h.Speed) >= 2*time.Hour+4*time.Minute
	srv.SetWriteDeadline(time.Now().Add(time.Second))
	srv.Write([]byte("still there"))
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(time.Second))
	n, err := c.Read(buf)
	alive := err == nil && string(buf[:n]) == "still there"
	label := fmt.Sprintf("alive after %v", idle)
	if !alive {
		label = fmt.Sprintf("expired before %v", idle)
	}
	return comply(alive, label, "a connection mapped to %v, idle for %v (simulated, speed %g): data from s1 %s", m, idle, h.Speed, yes(alive)), alive || !late
}

// checkSimultaneousOpen: lan0 connects to s1:47301 from port 47300; its SYN
// crosses the NAT and reaches s1, whose listener on 47301 has a full accept
// queue and drops it silently, so the NAT has seen an outbound SYN and no
// answer. s1 learns the mapping from that SYN and connects from 47301 to it:
// its SYN crosses lan0's (RFC 5382 §4.2, REQ-2a). A NAT that supports
// simultaneous open lets that bare SYN in; lan0, in SYN-SENT, answers with a
// SYN-ACK and both ends are connected before lan0 retransmits its SYN (1 s).
// A NAT that drops the crossing SYN may still connect them through lan0's
// retransmitted SYN; a tap on lan0 tells the two apart.
func checkSimultaneousOpen(ctx context.Context, h *Harness) Outcome {
	const lanPort = 47300
	dst := netip.AddrPortFrom(h.S1Addr, 47301)
	if err := h.deafListener(h.S1, h.S2, dst); err != nil {
		return failed(err)
	}
	srvTap, err := h.tcpTap(h.S1)
	if err != nil {
		return failed(err)
	}
	lanTap, err := h.tcpTap(h.LAN1)
	if err != nil {
		return failed(err)
	}
	type dialed struct {
		c   *net.TCPConn
		err error
	}
	lanDone := make(chan dialed, 1)
	go func() {
		c, err := h.Dial(h.LAN1, netip.AddrPortFrom(netip.Addr{}, lanPort), dst, 4*time.Second, 0)
		lanDone <- dialed{c, err}
	}()
	syn, ok := srvTap.next(3*time.Second, func(s tcpSeg) bool { return s.Dst == dst && s.Src.Addr() == h.Public && s.is(tcpSYN) })
	if !ok {
		<-lanDone
		return failed(fmt.Errorf("lan0's SYN to %v never reached s1", dst))
	}
	m := syn.Src
	sc, serr := h.Dial(h.S1, dst, m, 3*time.Second, 0)
	crossing := func(s tcpSeg) bool { return s.Src == dst && s.Dst.Port() == lanPort && s.is(tcpSYN) }
	_, crossed := lanTap.next(300*time.Millisecond, crossing)
	lan := <-lanDone
	if lan.err != nil || serr != nil {
		label := "no connection"
		if !crossed {
			label = "crossing SYN dropped"
		}
		return comply(false, label, "lan0:%d's SYN to %v left as %v and was dropped by s1; s1's SYN from %v to %v %s lan0; connect on lan0: %v; on s1: %v",
			lanPort, dst, m, dst, m, reached(crossed), lan.err, serr)
	}
	data := exchangeTCP(lan.c, sc, h.Msg("to-s1"), h.Msg("to-lan0"))
	ok = crossed && data
	label := "simultaneous open"
	switch {
	case !crossed:
		label = "crossing SYN dropped"
	case !data:
		label = "no data after simultaneous open"
	}
	return comply(ok, label, "lan0:%d's SYN to %v left as %v (s1 dropped it: full accept queue); s1's SYN from %v to %v %s lan0 while lan0 was in SYN-SENT; both connected; data both ways: %v",
		lanPort, dst, m, dst, m, reached(crossed), data)
}

func reached(b bool) string {
	if b {
		return "reached"
	}
	return "never reached"
}

// exchangeTCP sends a on c1 and b on c2 and says whether each arrived
// within a second.
func exchangeTCP(c1, c2 *net.TCPConn, a, b string) bool {
	recv := func(c *net.TCPConn, want string) bool {
		buf := make([]byte, len(want))
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, err := io.ReadFull(c, buf)
		return err == nil && string(buf) == want
	}
	c1.SetWriteDeadline(time.Now().Add(time.Second))
	c2.SetWriteDeadline(time.Now().Add(time.Second))
	c1.Write([]byte(a))
	c2.Write([]byte(b))
	return recv(c2, a) && recv(c1, b)
}

// primePath sends a UDP datagram from n to dst and waits up to a second for
// the ICMP error a host without that port answers with (a NAT that stays
// silent costs the whole second), so that neighbour resolution is done
// before a check times the path.
func (h *Harness) primePath(n *topology.Live, from, dst netip.AddrPort, icmp *icmpSocket) error {
	c, err := h.UDP(n, from.Addr(), int(from.Port()))
	if err != nil {
		return err
	}
	defer c.Close()
	c.WriteToUDPAddrPort([]byte(h.Msg("prime")), dst)
	icmp.recv(time.Second, func(src netip.Addr, m []byte) bool { return src == dst.Addr() && m[0] == 3 })
	return nil
}
