package kernel

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat"
)

// Port mappings in the kernel backends are one nftables DNAT rule each, in a
// chain "portmap_in" (nat, prerouting, just before the full-cone DNAT) that
// is rewritten whole on every change in one transaction, plus one rule at
// the head of the forward chain that admits what a DNAT let in. Lifetimes
// run on the scenario clock (a timer rewrites the chain when the next lease
// ends); Reset and WANChanged delete every mapping.
//
// Sharing the port space with masquerade: the kernel keeps conntrack tuples
// unique, not ports, so it cannot be asked "is this port taken". A static
// mapping conflicts (nat.ErrPortConflict) only with another static mapping.
// On a clash with a dynamic mapping the DNAT rule wins for new inbound flows
// (their replies go to the mapped host) while replies of the LAN's
// established flows still reach their own host: conntrack matches them
// before the nat chain is consulted. Deleting a mapping does not cut flows
// conntrack already holds; they age out.
type portmaps struct {
	mu      sync.Mutex
	byKey   map[pmKey]*pmEntry
	fwdRule bool // the forward accept is installed
	timer   *time.Timer
	closed  bool // Close ran: no more rule changes
}

type pmKey struct {
	proto string
	port  uint16
}

type pmEntry struct {
	nat.PortMapping
	expires time.Time // zero = permanent
}

var _ nat.PortMapper = (*Masquerade)(nil)

// AddPortMapping installs a DNAT rule for pm (nat.PortMapper).
func (m *Masquerade) AddPortMapping(pm nat.PortMapping) (nat.PortMapping, error) {
	if pm.Proto != "tcp" && pm.Proto != "udp" {
		return pm, fmt.Errorf("%w: protocol %q; want tcp or udp", nat.ErrBadPortMapping, pm.Proto)
	}
	if a := pm.Internal.Addr(); !a.Is4() || a.IsUnspecified() || a.IsMulticast() || pm.Internal.Port() == 0 {
		return pm, fmt.Errorf("%w: internal %v; want a LAN unicast IPv4 address and a port", nat.ErrBadPortMapping, pm.Internal)
	}
	if pm.Remote.IsValid() && (pm.Remote.IsUnspecified() || !pm.Remote.Is4()) {
		pm.Remote = netip.Addr{}
	}
	if pm.Lifetime < 0 {
		return pm, fmt.Errorf("%w: lifetime %v", nat.ErrBadPortMapping, pm.Lifetime)
	}
	wan := m.link.WANAddr.Addr()
	if a := pm.External.Addr(); a.IsValid() && !a.IsUnspecified() && a != wan {
		return pm, fmt.Errorf("%w: external %v; want our WAN address %v", nat.ErrBadPortMapping, a, wan)
	}
	p := m.pm()
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	m.expireSyncLocked(p, now)
	port := pm.External.Port()
	if port == 0 {
		port = pm.Internal.Port()
		for i := 0; p.byKey[pmKey{pm.Proto, port}] != nil && p.byKey[pmKey{pm.Proto, port}].Internal != pm.Internal; i++ {
			if i > 64511 {
				return pm, fmt.Errorf("%w", nat.ErrPortExhausted)
			}
			port++
			if port < 1024 {
				port = 1024
			}
		}
	}
	pm.External = netip.AddrPortFrom(wan, port)
	k := pmKey{pm.Proto, port}
	if old := p.byKey[k]; old != nil && old.Internal != pm.Internal {
		return pm, fmt.Errorf("%w: %s %v by %v", nat.ErrPortConflict, pm.Proto, pm.External, old.Internal)
	}
	e := &pmEntry{PortMapping: pm}
	if pm.Lifetime > 0 {
		e.expires = now.Add(time.Duration(float64(pm.Lifetime) / m.speed()))
	}
	prev := p.byKey[k]
	p.byKey[k] = e
	if err := m.syncLocked(p, now); err != nil {
		if prev != nil {
			p.byKey[k] = prev
		} else {
			delete(p.byKey, k)
		}
		return pm, err
	}
	return pm, nil
}

// DeletePortMapping removes a mapping's DNAT rule (nat.PortMapper).
func (m *Masquerade) DeletePortMapping(proto string, port uint16) error {
	p := m.pm()
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	m.expireSyncLocked(p, now)
	k := pmKey{proto, port}
	if p.byKey[k] == nil {
		return fmt.Errorf("%w: %s %d", nat.ErrNoPortMapping, proto, port)
	}
	delete(p.byKey, k)
	return m.syncLocked(p, now)
}

// PortMappings lists the live mappings (nat.PortMapper).
func (m *Masquerade) PortMappings() []nat.PortMapping {
	p := m.pm()
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	m.expireSyncLocked(p, now)
	out := make([]nat.PortMapping, 0, len(p.byKey))
	for _, e := range p.byKey {
		pm := e.PortMapping
		if !e.expires.IsZero() {
			pm.Lifetime = time.Duration(float64(e.expires.Sub(now)) * m.speed())
		}
		out = append(out, pm)
	}
	slices.SortFunc(out, func(a, b nat.PortMapping) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.External.Port(), b.External.Port()))
	})
	return out
}

// ExternalAddr is the WAN address (nat.PortMapper).
func (m *Masquerade) ExternalAddr() netip.Addr {
	p := m.pm()
	p.mu.Lock()
	defer p.mu.Unlock()
	return m.link.WANAddr.Addr()
}

// expireSyncLocked drops the mappings whose lease ended and, if any did,
// rewrites the chain at once: a lease that ends while a caller happens to
// list or change mappings must stop forwarding then, not wait for a timer
// that will find nothing left to expire.
func (m *Masquerade) expireSyncLocked(p *portmaps, now time.Time) {
	if p.expireLocked(now) {
		if err := m.syncLocked(p, now); err != nil && m.link.Log != nil {
			m.link.Log.Error("nat.portmap_error", "node", m.link.Node, "err", err.Error())
		}
	}
}

// resetPortMaps drops every mapping, as a reboot or a WAN change does.
func (m *Masquerade) resetPortMaps() error {
	p := m.pm()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.byKey) == 0 {
		return nil
	}
	clear(p.byKey)
	return m.syncLocked(p, time.Now())
}

// stopPortMaps stops the lease timer; the rules go with the table.
func (m *Masquerade) stopPortMaps() {
	p := m.pm()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.closed = true
}

func (m *Masquerade) pm() *portmaps {
	m.pmOnce.Do(func() { m.maps = &portmaps{byKey: map[pmKey]*pmEntry{}} })
	return m.maps
}

func (m *Masquerade) speed() float64 {
	if m.link.Speed <= 0 {
		return 1
	}
	return m.link.Speed
}

func (p *portmaps) expireLocked(now time.Time) bool {
	gone := false
	for k, e := range p.byKey {
		if !e.expires.IsZero() && !now.Before(e.expires) {
			delete(p.byKey, k)
			gone = true
		}
	}
	return gone
}

// syncLocked rewrites the portmap chain from p.byKey and arms the expiry
// timer for the next lease end.
func (m *Masquerade) syncLocked(p *portmaps, now time.Time) error {
	c, err := nftables.New(nftables.WithNetNSFd(m.link.NS.Fd()))
	if err != nil {
		return fmt.Errorf("nftables in %s: %w", m.link.Node, err)
	}
	defer c.CloseLasting()
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: TableName}
	in := c.AddChain(&nftables.Chain{Name: "portmap_in", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityRef(*nftables.ChainPriorityNATDest - 1)})
	c.FlushChain(in)
	var next time.Time
	for _, e := range p.byKey {
		c.AddRule(&nftables.Rule{Table: t, Chain: in, Exprs: m.dnatExprs(e.PortMapping)})
		if !e.expires.IsZero() && (next.IsZero() || e.expires.Before(next)) {
			next = e.expires
		}
	}
	if !p.fwdRule {
		zero := []byte{0, 0, 0, 0}
		c.InsertRule(&nftables.Rule{Table: t, Chain: &nftables.Chain{Name: "forward", Table: t}, Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(m.link.WAN)},
			&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(ctStatusDNAT), Xor: zero},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: zero},
			&expr.Verdict{Kind: expr.VerdictAccept},
		}})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("port mappings in %s: %w", m.link.Node, err)
	}
	p.fwdRule = true
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if !next.IsZero() {
		p.timer = time.AfterFunc(next.Sub(now), func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if !p.closed && p.expireLocked(time.Now()) {
				if err := m.syncLocked(p, time.Now()); err != nil && m.link.Log != nil {
					m.link.Log.Error("nat.portmap_error", "node", m.link.Node, "err", err.Error())
				}
			}
		})
	}
	return nil
}

// dnatExprs is: iifname WAN, l4proto P, th dport X, [ip saddr R,] dnat to A:B.
func (m *Masquerade) dnatExprs(pm nat.PortMapping) []expr.Any {
	proto := byte(unix.IPPROTO_TCP)
	if pm.Proto == "udp" {
		proto = unix.IPPROTO_UDP
	}
	ex := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(m.link.WAN)},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, pm.External.Port())},
	}
	if pm.Remote.IsValid() {
		r := pm.Remote.As4()
		ex = append(ex,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: r[:]})
	}
	a := pm.Internal.Addr().As4()
	return append(ex,
		&expr.Immediate{Register: 1, Data: a[:]},
		&expr.Immediate{Register: 2, Data: binary.BigEndian.AppendUint16(nil, pm.Internal.Port())},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	)
}
