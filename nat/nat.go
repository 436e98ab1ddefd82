// Package nat is the gateway seam of boxlab: the interface every NAT backend
// implements (the kernel's nftables NAT here, the userspace RFC 4787 NAT
// later), and the set of named profiles a scenario can ask for.
//
// A backend translates between the WAN and LAN interfaces of one gateway
// namespace that sim/topology built; it never touches another namespace.
package nat

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sort"

	"github.com/boxlab/boxlab/sim/ns"
)

// Link is what a backend gets to work with: the gateway's namespace and its
// interfaces.
type Link struct {
	NS      *ns.NS
	Node    string       // node name, for logs
	WAN     string       // WAN interface name
	WANAddr netip.Prefix // current WAN address
	Router  netip.Addr   // the WAN side's default router (next hop for everything outbound)
	LANs    []LAN        // the LAN segments: one for a home, one per bridge for an ISP
	Speed   float64      // simulated time speed; NAT timeouts are divided by it
	Log     *slog.Logger
	// Sysctl writes settings inside the gateway's namespace.
	Sysctl func(s ...ns.Sysctl) error
}

// LAN is one LAN segment of a gateway.
type LAN struct {
	Iface string       // the gateway's interface on it
	Addr  netip.Prefix // the gateway's address on it, with the LAN prefix length
}

// Gateway is one running NAT.
type Gateway interface {
	// Start begins translating LAN traffic out of the WAN interface.
	Start(l Link) error
	// Reset drops every mapping, as a reboot does.
	Reset() error
	// WANChanged tells the NAT its WAN address is now addr (already set on
	// the interface); every mapping is lost.
	WANChanged(addr netip.Prefix) error
	// Close stops translating and releases what Start took.
	Close() error
}

// Mapping is one live NAT mapping, for reports.
type Mapping struct {
	Proto    string         `json:"proto"` // "udp", "tcp", "icmp"
	Internal netip.AddrPort `json:"internal"`
	External netip.AddrPort `json:"external"`
	Remote   netip.AddrPort `json:"remote,omitzero"` // the remote the entry was made for, when the NAT keeps one
	Static   bool           `json:"static,omitempty"`
	State    string         `json:"state,omitempty"` // TCP state, when known
}

// Dumper is a Gateway that can list its live mappings.
type Dumper interface {
	Dump() ([]Mapping, error)
}

// Profile is a named NAT behaviour a scenario can choose.
type Profile struct {
	Name string
	Doc  string
	New  func() Gateway
	// Options, if set, returns a fresh options value (a pointer to a struct
	// with the profile's defaults) that a scenario's nat_options decode into;
	// NewWith then makes the gateway from it.
	Options func() any
	NewWith func(opts any) (Gateway, error)
}

// Profiles maps profile names to profiles.
type Profiles map[string]Profile

// NewProfiles collects profiles; a duplicate name is a programming error.
func NewProfiles(lists ...[]Profile) (Profiles, error) {
	ps := Profiles{}
	for _, l := range lists {
		for _, p := range l {
			if _, dup := ps[p.Name]; dup {
				return nil, fmt.Errorf("NAT profile %q registered twice", p.Name)
			}
			ps[p.Name] = p
		}
	}
	return ps, nil
}

// Names lists the profile names, sorted.
func (ps Profiles) Names() []string {
	out := make([]string, 0, len(ps))
	for n := range ps {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New makes a gateway of the named profile; opts are its decoded
// nat_options, or nil for the profile's defaults.
func (ps Profiles) New(name string, opts any) (Gateway, error) {
	p, ok := ps[name]
	if !ok {
		return nil, fmt.Errorf("unknown NAT profile %q; want one of %v", name, ps.Names())
	}
	if p.NewWith != nil {
		if opts == nil && p.Options != nil {
			opts = p.Options()
		}
		return p.NewWith(opts)
	}
	return p.New(), nil
}

// OptionsOf returns fresh options for a profile (nil if it takes none) and
// whether the profile exists.
func (ps Profiles) OptionsOf(name string) (any, bool) {
	p, ok := ps[name]
	if !ok {
		return nil, false
	}
	if p.Options == nil {
		return nil, true
	}
	return p.Options(), true
}
