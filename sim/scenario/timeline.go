package scenario

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// anyFault is the assertion language's name for every fault interval.
const anyFault = "fault"

// Faults that revert after Event.For, and faults that act on links.
var (
	revertible = []string{LinkDown, GatewayReboot, DeviceCrash, RoleStop}
	linkFaults = []string{LinkDown, LinkUp}
)

func (v *validator) timeline() {
	seen := map[string]*yaml.Node{}
	for i := range v.s.Timeline {
		ev := &v.s.Timeline[i]
		if ev.Pos.Line == 0 {
			continue // not a mapping; reported
		}
		path := fmt.Sprintf("timeline[%d]", i)
		if n := v.value(&ev.Name); n != nil && v.wellFormed(n, ev.Name) {
			if ev.Name == anyFault {
				v.errs.node(n, "name: %q means every fault in assertions (during fault); want another name", ev.Name)
			}
			v.unique(n, "timeline event", ev.Name, seen)
		}
		v.at(ev, path)
		known := v.do(ev, path)
		v.on(ev, path, known)
		if known {
			v.forAndLink(ev)
		}
	}
}

func (v *validator) at(ev *Event, path string) {
	n := v.value(&ev.At)
	switch {
	case !v.d.has(&ev.At):
		v.errs.pos(ev.Pos, "%s: missing \"at\"; want a time from the start like 10s", path)
	case n != nil && v.s.Duration > 0 && ev.At >= v.s.Duration:
		v.errs.node(n, "at: %s is not before the end of the run (duration %s); want at < duration", ev.At, v.s.Duration)
	}
}

// do checks the fault kind and reports whether it is known.
func (v *validator) do(ev *Event, path string) bool {
	n := v.value(&ev.Do)
	if !v.d.has(&ev.Do) {
		v.errs.pos(ev.Pos, "%s: missing \"do\"; want one of %s", path, strings.Join(FaultKinds, ", "))
		return false
	}
	if n == nil {
		return false
	}
	if !slices.Contains(FaultKinds, ev.Do) {
		v.errs.node(n, "do: %s", unknownMsg("fault", ev.Do, "", FaultKinds))
		return false
	}
	return true
}

func (v *validator) forAndLink(ev *Event) {
	if n := v.value(&ev.For); n != nil {
		switch {
		case !slices.Contains(revertible, ev.Do):
			v.errs.node(n, "for: %s takes no \"for\"; only %s revert after a time", ev.Do, strings.Join(revertible, ", "))
		case ev.For <= 0:
			v.errs.node(n, "for: want a duration > 0; got %s", ev.For)
		}
	}
	if n := v.value(&ev.Link); n != nil {
		switch {
		case !slices.Contains(linkFaults, ev.Do):
			v.errs.node(n, "link: only %s take a link; got it on %s", strings.Join(linkFaults, " and "), ev.Do)
		case ev.Link != LinkWAN && ev.Link != LinkLAN:
			v.errs.node(n, "link: want %s or %s; got %q", LinkWAN, LinkLAN, ev.Link)
		case ev.Link == LinkLAN && ev.On.Kind == SelectServer:
			v.errs.node(n, "link: a server has only a wan link; got %q", ev.Link)
		}
	}
}

// on checks that the selector names things that exist and suits the fault.
func (v *validator) on(ev *Event, path string, known bool) {
	n := v.value(&ev.On)
	if !v.d.has(&ev.On) {
		v.errs.pos(ev.Pos, "%s: missing \"on\"; want %s", path, want(typeSelector))
		return
	}
	sel := ev.On
	if n == nil || sel.Kind == "" {
		return // malformed; the decoder reported it
	}
	if msg := v.reference(sel); msg != "" {
		v.errs.node(n, "on: %s", msg)
		return
	}
	if known {
		if msg := suits(ev.Do, sel); msg != "" {
			v.errs.node(n, "on: %s", msg)
		}
	}
}

// reference says what in sel does not exist in the topology, or "".
func (v *validator) reference(sel Selector) string {
	t := &v.s.Topology
	switch sel.Kind {
	case SelectServer:
		if !slices.ContainsFunc(t.Servers, func(s Server) bool { return s.Name == sel.Name }) {
			return unknownMsg("server", sel.Name, "", v.serverNames())
		}
		return ""
	case SelectISP:
		if !slices.ContainsFunc(t.ISPs, func(i ISP) bool { return i.Name == sel.Name }) {
			return unknownMsg("isp", sel.Name, "", v.ispNames())
		}
		return ""
	}
	groups := t.Homes
	if sel.Group != "" {
		i := slices.IndexFunc(t.Homes, func(g HomeGroup) bool { return groupName(g) == sel.Group })
		if i < 0 {
			return unknownMsg("home group", sel.Group, "", v.groupNames())
		}
		groups = t.Homes[i : i+1]
	}
	if len(groups) == 0 {
		return fmt.Sprintf("%q selects homes; the topology has none", sel.Src)
	}
	homes := 0
	for _, g := range groups {
		homes += groupCount(g)
	}
	switch {
	case sel.Indexed && sel.To >= homes:
		return fmt.Sprintf("index %d out of range; group %s has %s, want indexes 0-%d", sel.To, sel.Group, plural(homes, "home"), homes-1)
	case sel.Count > homes:
		return fmt.Sprintf("%q selects %s; there are only %d", sel.Src, plural(sel.Count, "home"), homes)
	}
	if sel.Device != "" {
		var devs []string
		for _, g := range groups {
			for _, d := range g.Devices {
				devs = append(devs, deviceName(d))
			}
		}
		if !slices.Contains(devs, sel.Device) {
			slices.Sort(devs)
			where := "in home group " + sel.Group
			if sel.Group == "" {
				where = "in any home group"
			}
			return unknownMsg("device", sel.Device, where, slices.Compact(devs))
		}
	}
	return ""
}

// suits says why a fault cannot act on what sel picks, or "".
func suits(do string, sel Selector) string {
	switch do {
	case GatewayReboot, WANChange:
		if sel.Kind == SelectServer || sel.Device != "" {
			return fmt.Sprintf("%s acts on NAT gateways; want homes without .DEVICE, like home[3], or an ISP, like isp[carrier]; got %q", do, sel.Src)
		}
	case RoleStop:
		if sel.Kind != SelectHomes || sel.Device != "" {
			return fmt.Sprintf("%s acts on home gateways; want homes without .DEVICE, like home[3]; got %q", do, sel.Src)
		}
	case DeviceCrash, DeviceRestart:
		if sel.Kind == SelectISP || sel.Kind == SelectHomes && sel.Device == "" {
			return fmt.Sprintf("%s acts on devices or servers; want a selector like home[3].stb or server[acs]; got %q", do, sel.Src)
		}
	}
	return ""
}

// groupName, groupCount and deviceName read a value as it will be once
// defaults are filled in.
func groupName(g HomeGroup) string {
	if g.Name == "" {
		return "home"
	}
	return g.Name
}

func groupCount(g HomeGroup) int {
	if g.Count == 0 {
		return 1
	}
	return max(g.Count, 0)
}

func deviceName(d Device) string {
	if d.Name == "" {
		return d.Role
	}
	return d.Name
}

func (v *validator) serverNames() []string {
	var names []string
	for _, s := range v.s.Topology.Servers {
		names = append(names, s.Name)
	}
	return names
}

func (v *validator) groupNames() []string {
	var names []string
	for _, g := range v.s.Topology.Homes {
		names = append(names, groupName(g))
	}
	return names
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
