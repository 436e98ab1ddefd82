package scenario

import (
	"reflect"
	"slices"
	"strings"
	"time"
)

var typeSelector = reflect.TypeFor[Selector]()

// defaultReboot is how long a gateway-reboot keeps the gateway down when
// the event has no "for".
const defaultReboot = Duration(time.Second)

// fillDefaults fills in every default the model documents. It runs after
// validation; values the file set are kept.
func fillDefaults(s *Scenario, d *decoder) {
	if s.Speed == 0 {
		s.Speed = 1
	}
	if !d.has(&s.Seed) {
		s.Seed = 1
	}
	p := &s.Pools
	for _, f := range []struct {
		p   *Prefix
		def Prefix
	}{{&p.Public, Prefix{DefaultPublic}}, {&p.Servers, Prefix{DefaultServers}}, {&p.CGNAT, Prefix{DefaultCGNAT}}, {&p.LAN, Prefix{DefaultLAN}}} {
		if !f.p.IsValid() {
			*f.p = f.def
		}
	}
	for i := range s.Topology.Servers {
		setDefault(&s.Topology.Servers[i].Addresses, 1)
	}
	for i := range s.Topology.ISPs {
		setDefault(&s.Topology.ISPs[i].NAT, "linux")
	}
	for i := range s.Topology.Homes {
		g := &s.Topology.Homes[i]
		setDefault(&g.Name, "home")
		setDefault(&g.NAT, "linux")
		setDefault(&g.Count, 1)
		setDefault(&g.LAN, p.LAN)
		for j := range g.Devices {
			dev := &g.Devices[j]
			setDefault(&dev.Name, dev.Role)
			setDefault(&dev.Count, 1)
		}
	}
	for i := range s.Timeline {
		ev := &s.Timeline[i]
		if ev.Do == GatewayReboot {
			setDefault(&ev.For, defaultReboot)
		}
		if slices.Contains(linkFaults, ev.Do) {
			setDefault(&ev.Link, LinkWAN)
		}
	}
	for i := range s.Assertions {
		setDefault(&s.Assertions[i].Name, strings.TrimSpace(s.Assertions[i].Expect))
	}
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}
