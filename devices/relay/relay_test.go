package relay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/ns/nstest"
)

// node makes a namespace with lo up.
func node(t testing.TB) *ns.NS { return nstest.Loopback(t) }

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRelayBetweenTwoAllocations runs the role and two clients in one
// namespace: each allocates, and a datagram goes from one relayed address
// to the other and back. Credentials that expired or come from another
// secret get no allocation.
func TestRelayBetweenTwoAllocations(t *testing.T) {
	n := node(t)
	var log syncBuf
	lo := netip.MustParseAddr("127.0.0.1")
	env := &devices.Env{Node: "turn", NS: n, Addr: lo, Addrs: []netip.Addr{lo}, Clock: clock.New(1), Log: slog.New(slog.NewTextHandler(&log, nil))}
	o := DefaultOptions()
	o.Port = 3478
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Options: *o}).Run(ctx, env) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	srv := netip.AddrPortFrom(lo, 3478)
	alloc := func(c Credentials) (*Allocation, error) {
		return Allocate(context.Background(), AllocateConfig{NS: n, Server: srv, Username: c.Username, Password: c.Password, RTO: 50 * time.Millisecond})
	}
	var a *Allocation
	var err error
	for range 20 { // the server may not listen yet
		if a, err = alloc(Issue(o.Secret, "a", time.Now().Add(time.Minute))); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// Bad input first: garbage, a truncated STUN header, a STUN request
	// with a wrong length, and a Binding with a bad fingerprint.
	junk, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	for _, g := range [][]byte{{}, {0}, []byte("GET / HTTP/1.0\r\n\r\n"), {0, 1, 0, 0, 0x21, 0x12},
		{0, 3, 0, 200, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
		{0, 1, 0, 8, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x80, 0x28, 0, 4, 1, 2, 3, 4}} {
		if _, err := junk.WriteToUDPAddrPort(g, srv); err != nil {
			t.Fatal(err)
		}
	}
	b, err := alloc(Issue(o.Secret, "b", time.Now().Add(time.Minute))) // the server still serves
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Relayed.Addr() != lo || a.Relayed == b.Relayed {
		t.Fatalf("relayed %v and %v; want two ports on %v", a.Relayed, b.Relayed, lo)
	}
	if err := b.Permit(a.Relayed); err != nil {
		t.Fatal(err)
	}
	send := func(from, to *Allocation, msg string) {
		t.Helper()
		buf := make([]byte, 100)
		to.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for range 50 { // the sender's permission may still be in flight
			if _, err := from.Conn.WriteTo([]byte(msg), netUDP(to.Relayed)); err != nil {
				t.Fatal(err)
			}
			to.Conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			k, src, err := to.Conn.ReadFrom(buf)
			if err == nil {
				if string(buf[:k]) != msg || src.String() != from.Relayed.String() {
					t.Fatalf("got %q from %v; want %q from %v", buf[:k], src, msg, from.Relayed)
				}
				return
			}
		}
		t.Fatalf("%q never arrived", msg)
	}
	send(a, b, "hello through the relay")
	send(b, a, "and back")

	if _, err := alloc(Issue(o.Secret, "late", time.Now().Add(-time.Second))); err == nil {
		t.Fatal("expired credentials got an allocation")
	}
	if _, err := alloc(Issue("not the secret", "c", time.Now().Add(time.Minute))); err == nil {
		t.Fatal("credentials from another secret got an allocation")
	}
	for _, want := range []string{"turn.allocation", "turn.permission", "turn.auth_refused", "expired"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("no %q in the journal:\n%s", want, log.String())
		}
	}
}

func netUDP(a netip.AddrPort) net.Addr { return net.UDPAddrFromAddrPort(a) }

// TestAllocateStopsWithItsContext: a relay that never answers does not hold
// the caller past its context.
func TestAllocateStopsWithItsContext(t *testing.T) {
	n := node(t)
	mute, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c := Issue("s", "a", time.Now().Add(time.Minute))
	start := time.Now()
	_, err = Allocate(ctx, AllocateConfig{NS: n, Server: mute.LocalAddr().(*net.UDPAddr).AddrPort(), Username: c.Username, Password: c.Password,
		RTO: time.Second}) // pion alone would retransmit for minutes
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v; want the context's deadline", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("returned after %v", took)
	}
}
