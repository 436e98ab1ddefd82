package scenario

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	scenarioName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	nodeName     = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// Link names for link faults.
const (
	LinkWAN = "wan"
	LinkLAN = "lan"
)

// reserved words of the selector grammar cannot name a home group.
var reserved = []string{SelectHomes, SelectServer, SelectISP}

// validator checks what the strict decoder cannot: required fields, value
// ranges, names, and references between parts of the file.
type validator struct {
	d    *decoder
	errs *collector
	s    *Scenario
	cat  Catalog
	root *yaml.Node
}

func (v *validator) validate() {
	v.top()
	v.pools()
	v.servers()
	v.isps()
	v.homes()
	v.timeline()
	v.assertions()
}

// value is the value node of the field ptr points to, or nil if the file
// did not set it or its value did not decode (which was reported).
func (v *validator) value(ptr any) *yaml.Node { return v.d.good(ptr) }

func (v *validator) missing(at *yaml.Node, path, key, want string) {
	if path != "" {
		path += ": "
	}
	v.errs.node(at, "%smissing %q; %s", path, key, want)
}

func (v *validator) top() {
	s := v.s
	switch {
	case !v.d.has(&s.Name):
		v.missing(v.root, "", "name", "want a name like quickstart ([a-z0-9][a-z0-9-]*)")
	case v.value(&s.Name) != nil && !scenarioName.MatchString(s.Name):
		v.errs.node(v.value(&s.Name), "name: want lower-case letters, digits and dashes, like quickstart; got %q", s.Name)
	}
	if v.value(&s.Speed) != nil && s.Speed <= 0 {
		v.errs.node(v.value(&s.Speed), "speed: want a number > 0 (simulated seconds per real second); got %v", s.Speed)
	}
	switch {
	case !v.d.has(&s.Duration):
		v.missing(v.root, "", "duration", "want the simulated run length, like 30s or 1h")
	case v.value(&s.Duration) != nil && s.Duration <= 0:
		v.errs.node(v.value(&s.Duration), "duration: want a duration > 0; got %s", s.Duration)
	}
	switch {
	case !v.d.has(&s.Topology):
		v.missing(v.root, "", "topology", "want a mapping with servers, isps and homes")
	case v.value(&s.Topology) != nil && len(s.Topology.Servers) == 0 && len(s.Topology.Homes) == 0:
		v.errs.node(v.value(&s.Topology), "topology: want at least one server or home group")
	}
}

// pool is one address range with where it was written, for overlap checks.
type pool struct {
	name   string
	prefix netip.Prefix
	at     *yaml.Node
}

func (v *validator) pools() {
	p := &v.s.Pools
	all := []pool{
		{"pools.public", orDefault(p.Public, DefaultPublic), v.value(&p.Public)},
		{"pools.servers", orDefault(p.Servers, DefaultServers), v.value(&p.Servers)},
		{"pools.cgnat", orDefault(p.CGNAT, DefaultCGNAT), v.value(&p.CGNAT)},
		{"pools.lan", orDefault(p.LAN, DefaultLAN), v.value(&p.LAN)},
	}
	v.lanSize("lan", &p.LAN)
	for i, a := range all {
		for _, b := range all[:i] {
			if !a.prefix.Overlaps(b.prefix) || a.at == nil && b.at == nil {
				continue
			}
			at, first, other := a, b, a
			if at.at == nil {
				at, first, other = b, a, b
			}
			v.errs.node(at.at, "%s: %s overlaps %s %s; want disjoint pools", label(at.name), other.prefix, first.name, first.prefix)
		}
	}
}

func orDefault(p Prefix, def netip.Prefix) netip.Prefix {
	if p.IsValid() {
		return p.Prefix
	}
	return def
}

// lanSize checks that a LAN prefix leaves room for a gateway and devices.
func (v *validator) lanSize(key string, p *Prefix) {
	if p.IsValid() && p.Bits() > 30 {
		v.errs.node(v.value(p), "%s: want a prefix of /30 or shorter (room for a gateway and a device); got %s", key, p)
	}
}

func (v *validator) servers() {
	seen := map[string]*yaml.Node{}
	for i := range v.s.Topology.Servers {
		srv := &v.s.Topology.Servers[i]
		if srv.Pos.Line == 0 {
			continue // not a mapping; reported
		}
		path := fmt.Sprintf("topology.servers[%d]", i)
		v.name(srv.Pos, path, &srv.Name, "server", "echo", seen)
		if at := v.value(&srv.Addresses); at != nil && (srv.Addresses < 1 || srv.Addresses > 16) {
			v.errs.node(at, "addresses: want an integer 1..16; got %d", srv.Addresses)
		}
		if v.role(srv.Pos, path, &srv.Role) {
			v.d.decodeOptions(&srv.Options, srv.Role, v.cat)
		}
	}
}

func (v *validator) isps() {
	seen := map[string]*yaml.Node{}
	for i := range v.s.Topology.ISPs {
		isp := &v.s.Topology.ISPs[i]
		if isp.Pos.Line == 0 {
			continue
		}
		v.name(isp.Pos, fmt.Sprintf("topology.isps[%d]", i), &isp.Name, "isp", "isp1", seen)
		v.nat(&isp.NAT, &isp.NATOptions)
	}
}

// name checks a required node name: present, well formed and unique.
func (v *validator) name(at Pos, path string, name *string, what, example string, seen map[string]*yaml.Node) {
	if !v.d.has(name) {
		v.errs.pos(at, "%s: missing \"name\"; want a name like %s", path, example)
		return
	}
	if n := v.value(name); n != nil && v.wellFormed(n, *name) {
		v.unique(n, what, *name, seen)
	}
}

func (v *validator) wellFormed(n *yaml.Node, name string) bool {
	if !nodeName.MatchString(name) {
		v.errs.node(n, "name: want a lower-case letter, then letters, digits and dashes; got %q", name)
		return false
	}
	return true
}

func (v *validator) unique(n *yaml.Node, what, name string, seen map[string]*yaml.Node) {
	if first, dup := seen[name]; dup {
		v.errs.node(n, "duplicate %s name %q; first at line %d", what, name, first.Line)
		return
	}
	seen[name] = n
}

// role checks a required role and reports whether it is registered.
func (v *validator) role(at Pos, path string, role *string) bool {
	if !v.d.has(role) {
		v.errs.pos(at, "%s: missing \"role\"; want one of %s", path, strings.Join(v.cat.Roles(), ", "))
		return false
	}
	n := v.value(role)
	if n == nil {
		return false
	}
	if _, ok := v.cat.RoleOptions(*role); !ok {
		v.errs.node(n, "%s", unknownMsg("role", *role, "", v.cat.Roles()))
		return false
	}
	return true
}

// nat checks a NAT profile name and decodes its nat_options.
func (v *validator) nat(nat *string, opts *Options) {
	profile := "linux" // the default, filled in later
	if v.d.has(nat) {
		n := v.value(nat)
		if n == nil {
			return
		}
		if !slices.Contains(v.cat.NATProfiles(), *nat) {
			v.errs.node(n, "nat: %s", unknownMsg("NAT profile", *nat, "", v.cat.NATProfiles()))
			return
		}
		profile = *nat
	}
	v.d.decodeNATOptions(opts, profile, v.cat)
}

func (v *validator) count(n *int) {
	if at := v.value(n); at != nil && *n < 1 {
		v.errs.node(at, "count: want an integer >= 1; got %d", *n)
	}
}

func (v *validator) homes() {
	groups := map[string]*yaml.Node{}
	var names []string
	for i := range v.s.Topology.Homes {
		g := &v.s.Topology.Homes[i]
		if g.Pos.Line == 0 {
			continue
		}
		path := fmt.Sprintf("topology.homes[%d]", i)
		name, at := g.Name, v.value(&g.Name)
		if !v.d.has(&g.Name) {
			name, at = "home", &yaml.Node{Line: g.Pos.Line, Column: g.Pos.Col}
		} else if at == nil || !v.wellFormed(at, name) {
			name = ""
		} else if slices.Contains(reserved, name) {
			v.errs.node(at, "name: %q is a selector word; want another home group name", name)
		}
		if name != "" {
			v.unique(at, "home group", name, groups)
			names = append(names, name)
		}
		v.count(&g.Count)
		v.nat(&g.NAT, &g.NATOptions)
		if n := v.value(&g.ISP); n != nil && !slices.ContainsFunc(v.s.Topology.ISPs, func(isp ISP) bool { return isp.Name == g.ISP }) {
			v.errs.node(n, "isp: %s", unknownMsg("isp", g.ISP, "", v.ispNames()))
		}
		v.lanSize("lan", &g.LAN)
		v.devices(g, path)
		if v.d.has(&g.GatewayRole) && v.role(g.Pos, path, &g.GatewayRole) {
			v.d.decodeOptions(&g.GatewayOptions, g.GatewayRole, v.cat)
		}
	}
	v.clashes(names, groups, "home group", "<group><index>-gw")
}

// clashes reports names that make equal node names once an index is
// appended: "cam" home 12 and "cam1" home 2 are both "cam12".
func (v *validator) clashes(names []string, at map[string]*yaml.Node, what, form string) {
	for _, a := range names {
		for _, b := range names {
			rest, ok := strings.CutPrefix(b, a)
			if ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
				v.errs.node(at[b], "%s names %q and %q clash in node names (%s); rename one", what, a, b, form)
			}
		}
	}
}

func (v *validator) devices(g *HomeGroup, path string) {
	seen := map[string]*yaml.Node{}
	var names []string
	for i := range g.Devices {
		dev := &g.Devices[i]
		if dev.Pos.Line == 0 {
			continue
		}
		dpath := fmt.Sprintf("%s.devices[%d]", path, i)
		known := v.role(dev.Pos, dpath, &dev.Role)
		v.count(&dev.Count)
		name, at := dev.Name, v.value(&dev.Name)
		if !v.d.has(&dev.Name) {
			name, at = dev.Role, v.value(&dev.Role)
		}
		if at != nil && v.wellFormed(at, name) {
			v.unique(at, "device", name, seen)
			names = append(names, name)
		}
		if known {
			v.d.decodeOptions(&dev.Options, dev.Role, v.cat)
		}
	}
	v.clashes(names, seen, "device", "<group><index>-<device><k>")
}

func (v *validator) ispNames() []string {
	var names []string
	for _, isp := range v.s.Topology.ISPs {
		names = append(names, isp.Name)
	}
	return names
}

func (v *validator) assertions() {
	seen := map[string]*yaml.Node{}
	for _, a := range v.s.Assertions {
		if a.Name != "" {
			v.unique(&yaml.Node{Line: a.Pos.Line, Column: a.Pos.Col}, "assertion", a.Name, seen)
		}
	}
}

// checkOptions runs every decoded options value's own Check.
func (v *validator) checkOptions() {
	for i := range v.s.Topology.Servers {
		srv := &v.s.Topology.Servers[i]
		v.d.checkOptions(&srv.Options, v.d.field(&srv.Options).key, srv.Pos, v.s)
	}
	for i := range v.s.Topology.Homes {
		if g := &v.s.Topology.Homes[i]; g.GatewayRole != "" {
			v.d.checkOptions(&g.GatewayOptions, v.d.field(&g.GatewayOptions).key, g.Pos, v.s)
		}
		for j := range v.s.Topology.Homes[i].Devices {
			dev := &v.s.Topology.Homes[i].Devices[j]
			v.d.checkOptions(&dev.Options, v.d.field(&dev.Options).key, dev.Pos, v.s)
		}
	}
}
