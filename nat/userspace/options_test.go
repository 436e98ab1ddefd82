package userspace

import (
	"testing"
	"time"

	"github.com/boxlab/boxlab/sim/scenario"
)

func TestOptionsRoundTripEveryProfile(t *testing.T) {
	for _, p := range Profiles() {
		o := p.Options().(*Options)
		if errs := o.Check(nil); len(errs) > 0 {
			t.Fatalf("%s defaults: %v", p.Name, errs)
		}
		g, err := p.NewWith(o)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if got, want := g.(*NAT).behavior, o.Behavior(); got != want {
			t.Fatalf("%s: behaviour %+v, want %+v", p.Name, got, want)
		}
		if OptionsOf(o.Behavior()).Behavior() != o.Behavior() {
			t.Fatalf("%s: options do not round-trip", p.Name)
		}
	}
}

func TestOptionsOverride(t *testing.T) {
	o := OptionsOf(FullCone)
	o.Filtering, o.Ports, o.UDPTimeout = "apdf", "random", scenario.Duration(30*time.Second)
	o.WAN.Loss, o.LAN.Delay = 5, scenario.Duration(20*time.Millisecond)
	b := o.Behavior()
	if b.Filtering != PortRestrictedCone.Filtering || b.Ports != CGNAT.Ports || b.UDPTimeout != 30*time.Second {
		t.Fatalf("behaviour %+v", b)
	}
	if im := o.Impairments(); im.WAN.Loss != 5 || im.LAN.Delay != 20*time.Millisecond {
		t.Fatalf("impairments %+v", im)
	}
}

func TestOptionsCheckSaysWhatIsExpected(t *testing.T) {
	o := OptionsOf(FullCone)
	o.Mapping, o.PortMin, o.PortMax, o.LAN.Loss = "cone", 3000, 2000, 150
	errs := o.Check(nil)
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
	}
	for _, f := range []string{"mapping", "port_max", "lan"} {
		if !fields[f] {
			t.Errorf("no error for %s in %v", f, errs)
		}
	}
	if errs[0].Msg != `want one of [eim adm apdm]; got "cone"` {
		t.Errorf("message %q", errs[0].Msg)
	}
}
