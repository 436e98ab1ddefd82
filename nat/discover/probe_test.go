package discover

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/nat/stun"
	"github.com/boxlab/boxlab/sim/clock"
)

// startServer runs an RFC 5780 server on 127.0.0.1 and 127.0.0.2 (both on
// lo) and returns its primary address A1:P1.
func startServer(t *testing.T) (*stun.Server, netip.AddrPort) {
	t.Helper()
	var socks [4]stun.Socket
	for i := 0; i < 4; i += 2 {
		socks[i/2], socks[i/2+2] = listenPair(t)
	}
	s, err := stun.NewServer(socks[0], socks[1], socks[2], socks[3])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, socks[0].Addr
}

func listenPair(t *testing.T) (stun.Socket, stun.Socket) {
	t.Helper()
	for range 50 {
		c1, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		p := c1.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		a2 := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), p)
		c2, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(a2))
		if err != nil {
			c1.Close()
			continue
		}
		t.Cleanup(func() { c1.Close(); c2.Close() })
		return stun.Socket{Conn: c1, Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p)}, stun.Socket{Conn: c2, Addr: a2}
	}
	t.Fatal("no port free on both addresses")
	return stun.Socket{}, stun.Socket{}
}

func loopbackDial() (net.PacketConn, error) {
	return net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
}

var fast = Options{RTO: 10 * time.Millisecond}

func TestProbeNoNAT(t *testing.T) {
	_, srv := startServer(t)
	r, err := Probe(context.Background(), loopbackDial, srv, Options{RTO: 10 * time.Millisecond, MaxLifetime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loopback, no NAT:\n%s", r)
	if r.NATDetected || r.Mapped != r.Local {
		t.Errorf("NAT detected on loopback: local %v mapped %v", r.Local, r.Mapped)
	}
	if r.Mapping != EndpointIndependent || r.Filtering != EndpointIndependent || !r.PortPreservation || !r.Hairpinning {
		t.Errorf("no NAT should look like EIM/EIF, port preserving, hairpinning: %+v", r)
	}
	if r.MappingLifetime != 0 || r.MappingLifetimeAbove != 300*time.Millisecond {
		t.Errorf("lifetime %v above %v; want above the 300ms bound", r.MappingLifetime, r.MappingLifetimeAbove)
	}
	if len(r.Notes) != 0 {
		t.Errorf("notes: %q", r.Notes)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Error(err)
	}
}

func TestProbeClassifies(t *testing.T) {
	_, srv := startServer(t)
	EIM, ADM, APDM := EndpointIndependent, AddressDependent, AddressAndPortDependent
	tests := []struct {
		name              string
		nat               *fakeNAT
		hairpin, preserve bool
	}{
		{"full cone: RFC 4787 EIM + EIF", &fakeNAT{mapping: EIM, filtering: EIM, hairpin: true, preserve: true}, true, true},
		{"restricted cone: EIM + ADF", &fakeNAT{mapping: EIM, filtering: ADM, hairpin: true}, true, false},
		{"port-restricted cone: EIM + APDF", &fakeNAT{mapping: EIM, filtering: APDM, hairpin: true}, true, false},
		{"ADM + ADF", &fakeNAT{mapping: ADM, filtering: ADM, hairpin: true}, false, false},
		{"symmetric: APDM + APDF", &fakeNAT{mapping: APDM, filtering: APDM, hairpin: true}, false, false},
		{"APDM + EIF", &fakeNAT{mapping: APDM, filtering: EIM, hairpin: true}, true, false},
		{"no hairpinning: RFC 4787 REQ-9 violated", &fakeNAT{mapping: EIM, filtering: EIM}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nat := tt.nat
			r, err := Probe(context.Background(), nat.dial, srv, fast)
			if err != nil {
				t.Fatal(err)
			}
			if !r.NATDetected {
				t.Error("NAT not detected")
			}
			if r.Mapping != nat.mapping || r.Filtering != nat.filtering {
				t.Errorf("mapping %s filtering %s; want %s %s\n%s", r.Mapping, r.Filtering, nat.mapping, nat.filtering, r)
			}
			if r.Hairpinning != tt.hairpin || r.PortPreservation != tt.preserve {
				t.Errorf("hairpinning %v port preservation %v; want %v %v", r.Hairpinning, r.PortPreservation, tt.hairpin, tt.preserve)
			}
			if r.Mapped.Addr() != natExt {
				t.Errorf("mapped %v; want the NAT's address %v", r.Mapped, natExt)
			}
		})
	}
}

// TestProbeLifetime: issue 3 asks for the mapping lifetime within 5%, with
// idle times on the scenario clock (here 10× real time).
func TestProbeLifetime(t *testing.T) {
	_, srv := startServer(t)
	clk := clock.New(10)
	for _, want := range []time.Duration{4 * time.Second, 13 * time.Second} {
		nat := &fakeNAT{mapping: EndpointIndependent, filtering: AddressAndPortDependent, timeout: clk.Real(want)}
		start := time.Now()
		r, err := Probe(context.Background(), nat.dial, srv, Options{Clock: clk, RTO: 10 * time.Millisecond, MaxLifetime: 60 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		got := r.MappingLifetime
		t.Logf("timeout %v: measured %v in %v real, %d trials, notes %q", want, got, time.Since(start).Round(time.Millisecond), len(r.LifetimeTrials), r.Notes)
		if d := got - want; d < -want/20 || d > want/20 {
			t.Errorf("mapping lifetime %v; want %v ± 5%%; trials %+v", got, want, r.LifetimeTrials)
		}
	}
}

func TestProbeNoServer(t *testing.T) {
	c, _ := loopbackDial()
	dead := c.LocalAddr().(*net.UDPAddr).AddrPort() // nobody answers here
	defer c.Close()
	start := time.Now()
	_, err := Probe(context.Background(), loopbackDial, dead, fast)
	if err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("err = %v; want no answer", err)
	}
	if e := time.Since(start); e > time.Second {
		t.Errorf("took %v; want about 15 RTO", e)
	}
}

func TestProbeHonoursContext(t *testing.T) {
	c, _ := loopbackDial()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Probe(ctx, loopbackDial, c.LocalAddr().(*net.UDPAddr).AddrPort(), Options{RTO: time.Second})
	if err == nil || time.Since(start) > 500*time.Millisecond {
		t.Errorf("Probe returned %v after %v; want ctx's error within 50ms", err, time.Since(start))
	}
}

func TestReportString(t *testing.T) {
	r := &Report{Server: netip.MustParseAddrPort("198.18.0.1:3478"), Mapping: AddressAndPortDependent, Filtering: Unknown,
		MappingLifetime: 30 * time.Second, Notes: []string{"x"}}
	s := r.String()
	for _, want := range []string{"198.18.0.1:3478", "address-and-port-dependent", "unknown", "30s", "note: x", "(no NAT)"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	b, _ := json.Marshal(r)
	for _, want := range []string{`"mapping":"address-and-port-dependent"`, `"mapping_lifetime_ns":30000000000`, `"server":"198.18.0.1:3478"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
}
