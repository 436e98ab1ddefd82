package table

import (
	"fmt"
	"net/netip"
	"time"
)

// AddPortMapping installs a static mapping (a UPnP IGD, NAT-PMP or PCP port
// forward) in the port space dynamic mappings use, and returns it with the
// external endpoint filled in: an unspecified address means the first WAN
// address, port 0 means any free port (chosen as Behavior.Ports would).
// Adding it again for the same internal endpoint updates Remote and Lifetime;
// a dynamic mapping of the same internal endpoint on that external endpoint
// is replaced by it; one held by another internal endpoint is ErrConflict.
func (t *Table) AddPortMapping(now time.Duration, pm PortMapping) (PortMapping, error) {
	now = t.tick(now)
	if err := t.checkPortMapping(&pm); err != nil {
		return pm, err
	}
	wan := t.wanIndex(pm.External.Addr())
	expires := never
	if pm.Lifetime > 0 {
		expires = now + pm.Lifetime
	}
	if pm.External.Port() == 0 {
		s := t.space(wan, pm.Proto)
		port, ok := pm.Internal.Port(), t.b.Ports == Preserve && !s.has(pm.Internal.Port())
		if !ok {
			lo, hi := t.portRange(pm.Proto)
			port, ok = t.pick(s, lo, hi, pm.Internal.Port(), anyParity)
		}
		if !ok {
			return pm, fmt.Errorf("table: port mapping %v %v: %w", pm.Proto, pm.Internal, ErrExhausted)
		}
		pm.External = netip.AddrPortFrom(t.wan[wan], port)
	}
	if m := t.byExternal[extKey{pm.Proto, pm.External}]; t.alive(m, now) {
		switch {
		case m.internal != pm.Internal:
			return pm, fmt.Errorf("table: port mapping %v %v: %w by %v", pm.Proto, pm.External, ErrConflict, m.internal)
		case m.static:
			m.permit = pm.Remote
			t.setExpiry(m, expires)
			return pm, nil
		}
		// The port is the internal endpoint's own dynamic mapping (it has
		// been sending, say to the server it reports to): the static
		// mapping takes its place on the same port, as a PCP server reuses
		// an implicit mapping (RFC 6887 §11.3) and a Linux DNAT rule
		// coexists with the endpoint's SNAT entry, instead of a conflict
		// with itself.
		t.remove(m, false)
	}
	t.insert(&mapping{
		proto:    pm.Proto,
		internal: pm.Internal,
		external: pm.External,
		wan:      wan,
		static:   true,
		permit:   pm.Remote,
		expires:  expires,
	})
	return pm, nil
}

// checkPortMapping validates pm and normalises its External and Remote.
func (t *Table) checkPortMapping(pm *PortMapping) error {
	if pm.Proto != TCP && pm.Proto != UDP {
		return fmt.Errorf("table: port mapping Proto: want TCP or UDP; got %v", pm.Proto)
	}
	if !unicast4(pm.Internal.Addr()) || pm.Internal.Port() == 0 || t.wanIndex(pm.Internal.Addr()) >= 0 {
		return fmt.Errorf("table: port mapping Internal: want a LAN unicast IPv4 address and a port; got %v", pm.Internal)
	}
	if !pm.Remote.IsValid() || pm.Remote.IsUnspecified() {
		pm.Remote = netip.Addr{}
	} else if !unicast4(pm.Remote) {
		return fmt.Errorf("table: port mapping Remote: want a unicast IPv4 address or unspecified; got %v", pm.Remote)
	}
	if pm.Lifetime < 0 {
		return fmt.Errorf("table: port mapping Lifetime: want >= 0 (0 = permanent); got %v", pm.Lifetime)
	}
	a := pm.External.Addr()
	if !a.IsValid() || a.IsUnspecified() {
		pm.External = netip.AddrPortFrom(t.wan[0], pm.External.Port())
	} else if t.wanIndex(a) < 0 {
		return fmt.Errorf("table: port mapping External: want one of our WAN addresses %v; got %v", t.wan, a)
	}
	return nil
}

// DeletePortMapping removes the static mapping of external (an unspecified
// address means the first WAN address); ErrNoMapping if there is none.
func (t *Table) DeletePortMapping(p Proto, external netip.AddrPort) error {
	if a := external.Addr(); !a.IsValid() || a.IsUnspecified() {
		external = netip.AddrPortFrom(t.wan[0], external.Port())
	}
	m := t.byExternal[extKey{p, external}]
	if m == nil || !m.static {
		return fmt.Errorf("table: delete port mapping %v %v: %w", p, external, ErrNoMapping)
	}
	t.remove(m, false)
	return nil
}

// PortInUse says whether a mapping (dynamic or static, possibly expired but
// not yet removed) holds the external endpoint: a port-mapping server asks
// before offering it.
func (t *Table) PortInUse(p Proto, external netip.AddrPort) bool {
	_, ok := t.byExternal[extKey{p, external}]
	return ok
}
