package table

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	rows := []struct {
		name string
		b    Behavior
		wan  []netip.Addr
		want string // substring of the error; "" = no error
	}{
		{"zero behaviour takes defaults", Behavior{}, wan1, ""},
		{"unknown mapping", Behavior{Mapping: 3}, wan1, "Behavior.Mapping: want"},
		{"unknown filtering", Behavior{Filtering: 9}, wan1, "Behavior.Filtering: want"},
		{"unknown port assignment", Behavior{Ports: 3}, wan1, "Behavior.Ports: want"},
		{"unknown pooling", Behavior{Pooling: 2}, wan1, "Behavior.Pooling: want"},
		{"unknown SYN-ACK policy", Behavior{InboundSynAck: 2}, wan1, "Behavior.InboundSynAck: want"},
		{"port range upside down", Behavior{PortMin: 5000, PortMax: 4000}, wan1, "Behavior.PortMin: want <= PortMax (4000); got 5000"},
		{"PortMax below the default PortMin", Behavior{PortMax: 1000}, wan1, "Behavior.PortMin"},
		{"negative UDP timeout", Behavior{UDPTimeout: -time.Second}, wan1, "Behavior.UDPTimeout: want >= 0"},
		{"negative TCP established", Behavior{TCPEstablished: -1}, wan1, "Behavior.TCPEstablished"},
		{"negative TCP transitory", Behavior{TCPTransitory: -1}, wan1, "Behavior.TCPTransitory"},
		{"negative ICMP timeout", Behavior{ICMPTimeout: -1}, wan1, "Behavior.ICMPTimeout"},
		{"negative MaxPerHost", Behavior{MaxPerHost: -1}, wan1, "Behavior.MaxPerHost"},
		{"negative MaxTotal", Behavior{MaxTotal: -1}, wan1, "Behavior.MaxTotal"},
		{"no WAN address", Behavior{}, nil, "wan: want at least one"},
		{"IPv6 WAN address", Behavior{}, []netip.Addr{netip.MustParseAddr("2001:db8::1")}, "wan[0]: want a unicast IPv4"},
		{"duplicate WAN address", Behavior{}, []netip.Addr{wan1[0], wan1[0]}, "wan[1]: want distinct"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			_, err := New(r.b, r.wan, 0)
			switch {
			case r.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case r.want != "" && (err == nil || !strings.Contains(err.Error(), r.want)):
				t.Fatalf("New: %v; want an error containing %q", err, r.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	got := newTable(t, Behavior{}, wan1).Behavior()
	want := Behavior{PortMin: 1024, PortMax: 65535, UDPTimeout: 5 * min, TCPEstablished: 2*time.Hour + 4*min, TCPTransitory: 4 * min, ICMPTimeout: 60 * sec}
	if got != want {
		t.Fatalf("defaults: %+v; want %+v", got, want)
	}
}

func TestResetLosesEverything(t *testing.T) {
	tab := newTable(t, fullCone, wan1)
	tab.Outbound(0, udp(h1+":40000", r1+":3478"))
	if _, err := tab.AddPortMapping(0, PortMapping{Proto: TCP, Internal: ap(h1 + ":80"), External: ap(w1 + ":80")}); err != nil {
		t.Fatal(err)
	}
	tab.Reset()
	if tab.Len() != 0 || len(tab.Mappings(0)) != 0 {
		t.Fatalf("after Reset: %d mappings", tab.Len())
	}
	if v := tab.Inbound(sec, udp(r1+":3478", w1+":40000")); v.Reason != ReasonNoMapping {
		t.Fatalf("after Reset inbound: %s", show(v))
	}
	if err := tab.check(); err != nil {
		t.Fatal(err)
	}
	if s := tab.Stats(); s.Created["udp"] != 1 || s.Created["tcp"] != 1 {
		t.Fatalf("Reset must keep the stats: %+v", s)
	}
}

func TestSetWANLosesMappingsAndUsesTheNewAddress(t *testing.T) {
	tab := newTable(t, fullCone, wan1)
	tab.Outbound(0, udp(h1+":40000", r1+":3478"))
	if err := tab.SetWAN([]netip.Addr{netip.MustParseAddr(w2)}); err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 0 || tab.WAN()[0] != netip.MustParseAddr(w2) {
		t.Fatalf("after SetWAN: %d mappings, WAN %v", tab.Len(), tab.WAN())
	}
	if v := tab.Outbound(sec, udp(h1+":40000", r1+":3478")); show(v) != "fwd "+w2+":40000>"+r1+":3478" {
		t.Fatalf("after SetWAN: %s", show(v))
	}
	if err := tab.SetWAN(nil); err == nil {
		t.Fatal("SetWAN(nil): want an error")
	}
}

func TestPortMappingErrors(t *testing.T) {
	tab := newTable(t, fullCone, wan1)
	tab.Outbound(0, udp(h1+":40000", r1+":3478"))
	_, err := tab.AddPortMapping(0, PortMapping{Proto: UDP, Internal: ap(h2 + ":1"), External: ap(w1 + ":40000")})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("conflict with a dynamic mapping: %v; want ErrConflict", err)
	}
	if _, err := tab.AddPortMapping(0, PortMapping{Proto: UDP, Internal: ap(h2 + ":1"), External: ap(w1 + ":7000")}); err != nil {
		t.Fatal(err)
	}
	_, err = tab.AddPortMapping(0, PortMapping{Proto: UDP, Internal: ap(h1 + ":1"), External: ap(w1 + ":7000")})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("conflict with a static mapping: %v; want ErrConflict", err)
	}
	if _, err := tab.AddPortMapping(0, PortMapping{Proto: UDP, Internal: ap(h2 + ":1"), External: ap(w1 + ":7000"), Lifetime: min}); err != nil {
		t.Fatalf("re-adding for the same client must update: %v", err)
	}
	for _, pm := range []PortMapping{
		{Proto: ICMP, Internal: ap(h1 + ":1")},
		{Proto: UDP, Internal: ap(h1 + ":0")},
		{Proto: UDP, Internal: ap(w1 + ":1")},
		{Proto: UDP, Internal: ap(h1 + ":1"), External: ap(r1 + ":1")},
		{Proto: UDP, Internal: ap(h1 + ":1"), Lifetime: -1},
		{Proto: UDP, Internal: ap(h1 + ":1"), Remote: netip.MustParseAddr("224.0.0.1")},
	} {
		if _, err := tab.AddPortMapping(0, pm); err == nil {
			t.Errorf("AddPortMapping(%+v): want an error", pm)
		}
	}
	if err := tab.DeletePortMapping(UDP, ap(w1+":40000")); !errors.Is(err, ErrNoMapping) {
		t.Fatalf("deleting a dynamic mapping: %v; want ErrNoMapping", err)
	}
	if err := tab.DeletePortMapping(UDP, ap("0.0.0.0:7000")); err != nil {
		t.Fatal(err)
	}
	if tab.PortInUse(UDP, ap(w1+":7000")) {
		t.Fatal("deleted port still in use")
	}
	if err := tab.check(); err != nil {
		t.Fatal(err)
	}
}

func TestRandomPortsAreDeterministicAndInRange(t *testing.T) {
	b := with(fullCone, func(b *Behavior) { b.Ports = Random; b.PortMin, b.PortMax = 10000, 10999; b.Parity = true })
	ports := func(seed uint64) []uint16 {
		tab, err := New(b, wan1, seed)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint16
		for i := range 1000 {
			v := tab.Outbound(0, udp(h1+":"+itoa(20000+i), r1+":3478"))
			if v.Action != Forward {
				out = append(out, 0)
				continue
			}
			p := v.Out.Src.Port()
			if p < 10000 || p > 10999 || p&1 != uint16(i&1) {
				t.Fatalf("seed %d: port %d for internal %d", seed, p, 20000+i)
			}
			out = append(out, p)
		}
		if err := tab.check(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, a2, c := ports(1), ports(1), ports(2)
	if !equal(a, a2) {
		t.Fatal("same seed, different ports")
	}
	if equal(a, c) {
		t.Fatal("different seeds, same ports")
	}
	for i, p := range a {
		if p == 0 {
			t.Fatalf("a free port of the right parity was not found for mapping %d", i)
		}
	}
}

func TestExhaustionIsExactAndBounded(t *testing.T) {
	for _, ports := range []PortAssignment{Preserve, Sequential, Random} {
		tab := newTable(t, with(fullCone, func(b *Behavior) { b.Ports = ports }), wan1)
		n := 0
		for i := range 70000 {
			v := tab.Outbound(0, udp(hostN(i)+":5000", r1+":3478"))
			if v.Action == Forward {
				n++
			} else if v.Reason != ReasonPortExhausted {
				t.Fatalf("ports %d: mapping %d: %s", ports, i, v.Reason)
			}
		}
		if n != 65535-1024+1 {
			t.Fatalf("ports %d: %d mappings in a range of %d ports", ports, n, 65535-1024+1)
		}
		if err := tab.check(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpireNeverRemovesARefreshedMapping(t *testing.T) {
	tab := newTable(t, portRest, wan1)
	ext := map[int]string{}
	for i := range 100 {
		ext[i] = tab.Outbound(time.Duration(i)*sec, udp(hostN(i)+":5000", r1+":3478")).Out.Src.String()
	}
	// Refresh the even ones every minute for an hour; the odd ones lapse.
	for m := time.Duration(1); m <= 60; m++ {
		now := m * min
		for i := 0; i < 100; i += 2 {
			tab.Outbound(now, udp(hostN(i)+":5000", r1+":3478"))
		}
		tab.Expire(now + 30*sec)
		for i := 0; i < 100; i += 2 {
			if v := tab.Inbound(now+30*sec, udp(r1+":3478", ext[i])); v.Action != Forward {
				t.Fatalf("refreshed mapping %s lost at %v", ext[i], now)
			}
		}
	}
	if tab.Len() != 50 {
		t.Fatalf("%d mappings left; want the 50 refreshed", tab.Len())
	}
	if err := tab.check(); err != nil {
		t.Fatal(err)
	}
}

func TestTimeDoesNotGoBack(t *testing.T) {
	tab := newTable(t, portRest, wan1)
	tab.Outbound(10*min, udp(h1+":40000", r1+":3478"))
	tab.Outbound(0, udp(h1+":40000", r1+":3478")) // taken as 10 min
	if n := tab.Expire(15*min - sec); n != 0 {
		t.Fatalf("an earlier time shortened the mapping: %d expired", n)
	}
}

func TestStatsCount(t *testing.T) {
	tab := newTable(t, portRest, wan1)
	tab.Outbound(0, udp(h1+":40000", r1+":3478"))
	tab.Inbound(0, udp(r2+":3478", w1+":40000"))
	tab.Inbound(0, udp(r1+":3478", w1+":40000"))
	tab.Outbound(0, Flow{Proto: 99})
	tab.Expire(time.Hour)
	s := tab.Stats()
	if s.Created["udp"] != 1 || s.Expired["udp"] != 1 || s.Dropped[ReasonFiltered] != 1 || s.Dropped[ReasonBadProto] != 1 || s.Forwarded != 2 || s.Live != 0 {
		t.Fatalf("stats: %+v", s)
	}
}

func TestMappingsDumpIsSorted(t *testing.T) {
	tab := newTable(t, symmetric, wan1)
	tab.Outbound(0, udp(h2+":1", r1+":1"))
	tab.Outbound(0, udp(h1+":2", r1+":1"))
	tab.Outbound(0, udp(h1+":1", r2+":1"))
	tab.Outbound(0, tcp(h2+":1", r1+":1", SYN))
	tab.Outbound(0, udp(h1+":1", r1+":1"))
	ms := tab.Mappings(0)
	want := []string{"tcp " + h2 + ":1", "udp " + h1 + ":1", "udp " + h1 + ":1", "udp " + h1 + ":2", "udp " + h2 + ":1"}
	for i, m := range ms {
		if got := m.Proto.String() + " " + m.Internal.String(); got != want[i] {
			t.Fatalf("row %d: %s; want %s", i, got, want[i])
		}
	}
	if ms[1].External.Compare(ms[2].External) >= 0 || ms[1].Remote.Addr() != netip.MustParseAddr(r1) && ms[1].Remote.Addr() != netip.MustParseAddr(r2) {
		t.Fatalf("rows 1-2 not sorted by external or without remote: %+v", ms[1:3])
	}
}

func hostN(i int) string {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func equal(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// RFC 5382 REQ-2: the index of connections let in on another remote's
// mapping empties as their mappings expire or the table resets.
func TestInConnsForgottenWithTheirMapping(t *testing.T) {
	b := Behavior{Mapping: AddressPortDependent, Filtering: EndpointIndependent, TCPTransitory: time.Minute}
	tab, err := New(b, wan1, 1)
	if err != nil {
		t.Fatal(err)
	}
	tab.Outbound(0, tcp(h1+":40000", r1+":443", SYN))
	tab.Inbound(sec, tcp(r2+":5000", w1+":40000", SYN))
	if len(tab.inConns) != 1 {
		t.Fatalf("inConns after an inbound SYN on a mapping to another remote: %d entries; want 1", len(tab.inConns))
	}
	tab.Expire(5 * min)
	if len(tab.inConns) != 0 {
		t.Fatalf("inConns after the mapping expired: %d entries; want 0", len(tab.inConns))
	}
	tab.Outbound(6*min, tcp(h1+":40000", r1+":443", SYN))
	tab.Inbound(6*min+sec, tcp(r2+":5000", w1+":40000", SYN))
	tab.Reset()
	if len(tab.inConns) != 0 {
		t.Fatalf("inConns after Reset: %d entries; want 0", len(tab.inConns))
	}
}
