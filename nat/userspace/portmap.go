package userspace

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/table"
)

// The userspace NAT is a nat.PortMapper: port mappings are static entries of
// its table, in the same port space as dynamic mappings, so a port held by
// either is a conflict for the other, except that a static mapping replaces
// its own internal endpoint's dynamic mapping on the port. Lifetimes run on
// the scenario clock.
var _ nat.PortMapper = (*NAT)(nil)

// AddPortMapping installs a static mapping in the table (nat.PortMapper).
func (g *NAT) AddPortMapping(pm nat.PortMapping) (nat.PortMapping, error) {
	p, err := protoOf(pm.Proto)
	if err != nil {
		return pm, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tab == nil {
		return pm, errors.New("userspace NAT not started")
	}
	got, err := g.tab.AddPortMapping(g.simNow(time.Now()), table.PortMapping{Proto: p, External: pm.External,
		Internal: pm.Internal, Remote: pm.Remote, Lifetime: pm.Lifetime})
	switch {
	case errors.Is(err, table.ErrConflict):
		return pm, fmt.Errorf("%w: %w", nat.ErrPortConflict, err)
	case errors.Is(err, table.ErrExhausted):
		return pm, fmt.Errorf("%w: %w", nat.ErrPortExhausted, err)
	case err != nil:
		return pm, fmt.Errorf("%w: %w", nat.ErrBadPortMapping, err)
	}
	pm.External = got.External
	return pm, nil
}

// DeletePortMapping removes a static mapping (nat.PortMapper).
func (g *NAT) DeletePortMapping(proto string, port uint16) error {
	p, err := protoOf(proto)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tab == nil {
		return errors.New("userspace NAT not started")
	}
	g.tab.Expire(g.simNow(time.Now()))
	if err := g.tab.DeletePortMapping(p, netip.AddrPortFrom(netip.IPv4Unspecified(), port)); err != nil {
		return fmt.Errorf("%w: %w", nat.ErrNoPortMapping, err)
	}
	return nil
}

// PortMappings lists the live static mappings (nat.PortMapper).
func (g *NAT) PortMappings() []nat.PortMapping {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tab == nil {
		return nil
	}
	now := g.simNow(time.Now())
	var out []nat.PortMapping
	for _, m := range g.tab.Mappings(now) {
		if !m.Static {
			continue
		}
		pm := nat.PortMapping{Proto: m.Proto.String(), External: m.External, Internal: m.Internal, Remote: m.Remote.Addr()}
		if m.Expires > 0 {
			pm.Lifetime = m.Expires - now
		}
		out = append(out, pm)
	}
	slices.SortFunc(out, func(a, b nat.PortMapping) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.External.Port(), b.External.Port()))
	})
	return out
}

// ExternalAddr is the current WAN address (nat.PortMapper).
func (g *NAT) ExternalAddr() netip.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.wan.Addr()
}

func protoOf(s string) (table.Proto, error) {
	switch s {
	case "tcp", "TCP":
		return table.TCP, nil
	case "udp", "UDP":
		return table.UDP, nil
	}
	return 0, fmt.Errorf("%w: protocol %q; want tcp or udp", nat.ErrBadPortMapping, s)
}
