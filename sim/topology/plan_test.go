package topology

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/boxlab/boxlab/sim/scenario"
)

// cat is the smallest catalog the loader needs for plans.
type cat struct{}

func (cat) RoleOptions(string) (any, bool) { return nil, true }
func (cat) Roles() []string                { return []string{"box"} }
func (cat) NATProfiles() []string          { return []string{"linux"} }

func plan(t *testing.T, src string) *Plan {
	t.Helper()
	s, err := scenario.Parse("plan.yaml", []byte(src), cat{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanAddresses(t *testing.T) {
	p := plan(t, `
name: p
duration: 1s
topology:
  servers: [{name: a, role: box}, {name: b, role: box, addresses: 3}]
  isps: [{name: isp1}]
  homes:
    - {name: home, count: 2, devices: [{name: stb, role: box, count: 2}]}
    - {name: cg, isp: isp1, lan: 10.0.0.0/29, devices: [{name: cam, role: box}]}
`)
	tests := []struct{ node, addr, via string }{
		{"a", "198.19.0.2/24", "198.19.0.1"},
		{"b", "198.19.0.3/24", "198.19.0.1"},
		{"isp1", "198.18.0.2/21", "198.18.0.1"},
		{"home0-gw", "198.18.0.3/21", "198.18.0.1"},
		{"home1-gw", "198.18.0.4/21", "198.18.0.1"},
		{"home0-stb0", "192.168.1.100/24", "192.168.1.1"},
		{"home0-stb1", "192.168.1.101/24", "192.168.1.1"},
		{"home1-stb0", "192.168.1.100/24", "192.168.1.1"}, // overlapping LANs
		{"cg0-gw", "100.64.0.2/21", "100.64.0.1"},
		{"cg0-cam0", "10.0.0.2/29", "10.0.0.1"}, // a /29 has no .100: devices from .2
	}
	for _, tt := range tests {
		n := p.Node(tt.node)
		if n == nil {
			t.Errorf("no node %s", tt.node)
			continue
		}
		if n.Addr.String() != tt.addr || n.Via.String() != tt.via {
			t.Errorf("%s: addr %s via %s; want %s via %s", tt.node, n.Addr, n.Via, tt.addr, tt.via)
		}
	}
	if got := fmt.Sprint(p.Node("b").Extra); got != "[198.19.0.4/24 198.19.0.5/24]" {
		t.Errorf("b extra addresses %s", got)
	}
	if p.Node("cg0-gw").Parent != "isp1" || p.Node("home0-gw").Parent != CoreName {
		t.Error("gateway parents wrong")
	}
	if p.Count(Gateway) != 3 || p.Count(Device) != 5 || len(p.Homes) != 3 {
		t.Errorf("counts: %d gateways, %d devices, %d homes", p.Count(Gateway), p.Count(Device), len(p.Homes))
	}
}

func TestPlanBridgePortLimit(t *testing.T) {
	p := plan(t, `
name: p
duration: 1s
topology:
  homes: [{count: 2100}]
`)
	core := p.Node(CoreName)
	var wan []*Segment
	for _, s := range core.Down {
		if strings.HasPrefix(s.Bridge, "wan") {
			wan = append(wan, s)
		}
	}
	if len(wan) != 3 {
		t.Fatalf("%d WAN bridges for 2100 homes; want 3", len(wan))
	}
	for _, s := range wan {
		if s.Count > MaxPorts {
			t.Errorf("%s has %d ports", s.Bridge, s.Count)
		}
	}
	if got := p.Node("home1000-gw").Addr; got != netip.MustParsePrefix("198.18.8.2/21") {
		t.Errorf("home 1000 (first on the second bridge) = %s", got)
	}
}

func TestPlanPoolTooSmall(t *testing.T) {
	s, err := scenario.Parse("plan.yaml", []byte(`
name: p
duration: 1s
pools: {public: 203.0.113.0/28}
topology:
  homes: [{count: 20}]
`), cat{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPlan(s); err == nil || !strings.Contains(err.Error(), "is exhausted") {
		t.Fatalf("NewPlan = %v; want a pool exhausted error", err)
	}
}

func TestSegmentSpares(t *testing.T) {
	p := plan(t, "name: p\nduration: 1s\ntopology:\n  homes: [{count: 2}]\n")
	gw := p.Node("home1-gw")
	a, err := gw.Segment.Take()
	if err != nil || a != netip.MustParseAddr("198.18.0.4") {
		t.Fatalf("spare = %v, %v; want the next unused address", a, err)
	}
}

func TestSelectIsSeededAndExact(t *testing.T) {
	p := plan(t, "name: p\nduration: 1s\ntopology:\n  homes: [{count: 40, devices: [{name: stb, role: box}]}]\n")
	sel := func(src string) []string {
		s, err := scenario.ParseSelector(src)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := p.Select(s, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range nodes {
			names = append(names, n.Name)
		}
		return names
	}
	if got := sel("homes:25%"); len(got) != 10 {
		t.Errorf("homes:25%% picked %d of 40", len(got))
	}
	if a, b := sel("homes:25%"), sel("homes:25%"); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("the same seed picked different homes")
	}
	if got := fmt.Sprint(sel("home[3-4].stb")); got != "[home3-stb0 home4-stb0]" {
		t.Errorf("home[3-4].stb = %s", got)
	}
	if got := len(sel("homes:7")); got != 7 {
		t.Errorf("homes:7 picked %d", got)
	}
}
