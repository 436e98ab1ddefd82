package relay

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/ns"
)

// pingPong sends n datagrams from a to bAt and back from b to aAt, one at
// a time, and returns the mean round trip.
func pingPong(tb testing.TB, a, b net.PacketConn, aAt, bAt net.Addr, n int) time.Duration {
	tb.Helper()
	buf := make([]byte, 1500)
	msg := make([]byte, 100)
	start := time.Now()
	for range n {
		if _, err := a.WriteTo(msg, bAt); err != nil {
			tb.Fatal(err)
		}
		b.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := b.ReadFrom(buf); err != nil {
			tb.Fatal(err)
		}
		if _, err := b.WriteTo(msg, aAt); err != nil {
			tb.Fatal(err)
		}
		a.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := a.ReadFrom(buf); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start) / time.Duration(n)
}

// BenchmarkRelayRoundTrip measures a 100-byte round trip between two
// allocations through the pion TURN role (client → server → relayed socket
// → server → client, both ways), against two plain UDP sockets in the same
// namespace as the baseline.
func BenchmarkRelayRoundTrip(b *testing.B) {
	n := node(b)
	lo := netip.MustParseAddr("127.0.0.1")
	env := &devices.Env{Node: "turn", NS: n, Addr: lo, Addrs: []netip.Addr{lo}, Clock: clock.New(1), Log: slog.New(slog.DiscardHandler)}
	o := DefaultOptions()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Options: *o}).Run(ctx, env) }()
	defer func() { cancel(); <-done }()
	alloc := func(id string) *Allocation {
		var a *Allocation
		var err error
		for range 20 {
			c := Issue(o.Secret, id, time.Now().Add(time.Hour))
			if a, err = Allocate(context.Background(), AllocateConfig{NS: n, Server: netip.AddrPortFrom(lo, uint16(o.Port)), Username: c.Username, Password: c.Password}); err == nil {
				return a
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.Fatal(err)
		return nil
	}
	ra, rb := alloc("a"), alloc("b")
	defer ra.Close()
	defer rb.Close()
	if err := ra.Permit(rb.Relayed); err != nil {
		b.Fatal(err)
	}
	if err := rb.Permit(ra.Relayed); err != nil {
		b.Fatal(err)
	}
	pa, pb := listen(b, n), listen(b, n)
	defer pa.Close()
	defer pb.Close()
	rounds := max(b.N, 2000)
	pingPong(b, ra.Conn, rb.Conn, net.UDPAddrFromAddrPort(ra.Relayed), net.UDPAddrFromAddrPort(rb.Relayed), 200) // warm up, channel binds
	pingPong(b, pa, pb, pa.LocalAddr(), pb.LocalAddr(), 200)
	b.ResetTimer()
	relayed := pingPong(b, ra.Conn, rb.Conn, net.UDPAddrFromAddrPort(ra.Relayed), net.UDPAddrFromAddrPort(rb.Relayed), rounds)
	direct := pingPong(b, pa, pb, pa.LocalAddr(), pb.LocalAddr(), rounds)
	b.StopTimer()
	b.ReportMetric(float64(relayed.Microseconds()), "relayed_rtt_us")
	b.ReportMetric(float64(direct.Microseconds()), "direct_rtt_us")
	b.ReportMetric(float64(relayed)/float64(direct), "ratio")
	b.ReportMetric(0, "ns/op")
}

func listen(tb testing.TB, n *ns.NS) *net.UDPConn {
	tb.Helper()
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
