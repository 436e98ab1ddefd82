package scenario

import (
	"reflect"
	"testing"
	"time"
)

// TestMinimalDefaults checks every default model.go documents.
func TestMinimalDefaults(t *testing.T) {
	s, err := Load("testdata/good/minimal.yaml", testCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"speed default 1", s.Speed, 1.0},
		{"seed default 1", s.Seed, int64(1)},
		{"pools.public", s.Pools.Public.Prefix, DefaultPublic},
		{"pools.servers", s.Pools.Servers.Prefix, DefaultServers},
		{"pools.cgnat", s.Pools.CGNAT.Prefix, DefaultCGNAT},
		{"pools.lan", s.Pools.LAN.Prefix, DefaultLAN},
		{"group name default home", s.Topology.Homes[0].Name, "home"},
		{"group count default 1", s.Topology.Homes[0].Count, 1},
		{"group nat default linux", s.Topology.Homes[0].NAT, "linux"},
		{"group LAN = pools.lan", s.Topology.Homes[0].LAN.Prefix, DefaultLAN},
		{"device name = role", s.Topology.Homes[0].Devices[0].Name, "udp-echo"},
		{"device count default 1", s.Topology.Homes[0].Devices[0].Count, 1},
		{"options defaults from catalog", s.Topology.Homes[0].Devices[0].Options.Value, &echoOptions{Port: 7}},
		{"duration", s.Duration.Std(), time.Minute},
		{"file", s.File, "testdata/good/minimal.yaml"},
		{"group pos", s.Topology.Homes[0].Pos, Pos{6, 7}},
		{"device pos", s.Topology.Homes[0].Devices[0].Pos, Pos{7, 11}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestQuickstart(t *testing.T) {
	s, err := Load("testdata/good/quickstart.yaml", testCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Speed != 2 || s.Seed != 7 || s.Duration.Std() != 30*time.Second {
		t.Errorf("speed, seed, duration = %v, %v, %v", s.Speed, s.Seed, s.Duration)
	}
	if got := s.Topology.Servers[0].Options.Value; !reflect.DeepEqual(got, &echoOptions{Port: 7}) {
		t.Errorf("echo options = %#v", got)
	}
	if got := s.Topology.Homes[0].Devices[0].Options.Value; !reflect.DeepEqual(got, &pingerOptions{Server: "echo", Interval: Duration(time.Second)}) {
		t.Errorf("pinger options = %#v", got)
	}
	wantEvents := []Event{
		{Name: "cut", At: Duration(10 * time.Second), Do: LinkDown, For: Duration(3 * time.Second), Link: LinkWAN,
			On: Selector{Src: "home[0]", Kind: SelectHomes, Group: "home", Indexed: true}, Pos: Pos{19, 5}},
		{At: Duration(20 * time.Second), Do: GatewayReboot, For: defaultReboot,
			On: Selector{Src: "homes:50%", Kind: SelectHomes, Percent: 50}, Pos: Pos{20, 5}},
		{At: Duration(25 * time.Second), Do: DeviceCrash, For: Duration(2 * time.Second),
			On: Selector{Src: "home[2].pinger", Kind: SelectHomes, Group: "home", From: 2, To: 2, Indexed: true, Device: "pinger"}, Pos: Pos{21, 5}},
	}
	if !reflect.DeepEqual(s.Timeline, wantEvents) {
		t.Errorf("timeline\n got %+v\nwant %+v", s.Timeline, wantEvents)
	}
	a := s.Assertions
	if len(a) != 2 || a[0].Name != a[0].Expect || a[0].Expr == nil || a[1].Name != "rtt" || a[1].Pos != (Pos{24, 25}) {
		t.Errorf("assertions = %+v", a)
	}
}

// TestFull checks what the fixture with every feature decodes to.
func TestFull(t *testing.T) {
	s, err := Load("testdata/good/full.yaml", testCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 0 {
		t.Errorf("explicit seed 0 became %d", s.Seed)
	}
	if got := s.Topology.Servers[1].Options.Value; !reflect.DeepEqual(got, &echoOptions{Port: 7}) {
		t.Errorf("aliased options = %#v", got)
	}
	if v := s.Topology.Servers[2].Options.Value; v != nil {
		t.Errorf("role without options got %#v", v)
	}
	homes := s.Topology.Homes
	if homes[0].LAN.String() != "192.168.7.0/24" || homes[1].LAN.String() != "10.0.0.0/24" {
		t.Errorf("group LANs = %v, %v; want the override and pools.lan", homes[0].LAN, homes[1].LAN)
	}
	if homes[1].Name != "home" || homes[1].NAT != "linux-random" || s.Topology.ISPs[1].NAT != "linux" {
		t.Errorf("defaults: group %q nat %q, isp nat %q", homes[1].Name, homes[1].NAT, s.Topology.ISPs[1].NAT)
	}
	if got := s.Timeline[0].Link; got != LinkLAN {
		t.Errorf("link = %q", got)
	}
	if got := s.Assertions[2]; got.Name != "literal" || got.Pos != (Pos{47, 13}) {
		t.Errorf("literal assertion = %+v", got)
	}
}
