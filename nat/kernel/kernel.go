// Package kernel is the Linux kernel NAT backend: nftables masquerade in the
// gateway namespace, built with google/nftables over netlink (no nft process).
// Profiles: "linux" (masquerade: endpoint-independent mapping with port
// preservation, address-and-port-dependent filtering), "linux-random"
// (masquerade fully-random: a new port per destination) and "linux-fullcone"
// (masquerade plus a dynamic DNAT map for endpoint-independent filtering). What these really
// are is for the NAT conformance suite to measure, not for this package to
// claim. Reset flushes conntrack; conntrack timeouts are scaled by the
// scenario speed. It does not do hairpinning or impairments.
package kernel

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/sim/ns"
)

// Profiles are the kernel NAT profiles.
func Profiles() []nat.Profile {
	return []nat.Profile{
		{Name: "linux", Doc: "nftables masquerade (the Linux default NAT)", New: func() nat.Gateway { return &Masquerade{} }},
		{Name: "linux-random", Doc: "nftables masquerade fully-random", New: func() nat.Gateway { return &Masquerade{FullyRandom: true} }},
		{Name: "linux-fullcone", Doc: "nftables masquerade + a dynamic DNAT map: inbound to a mapped port from anyone passes", New: func() nat.Gateway { return &Masquerade{FullCone: true} }},
	}
}

// TableName is the nftables table the backend owns in the gateway namespace.
const TableName = "boxlab"

// conntrack timeouts (seconds) at speed 1: the kernel defaults.
var timeouts = []struct {
	key string
	def float64
}{
	{"net/netfilter/nf_conntrack_udp_timeout", 30},
	{"net/netfilter/nf_conntrack_udp_timeout_stream", 120},
	{"net/netfilter/nf_conntrack_tcp_timeout_established", 432000},
	{"net/netfilter/nf_conntrack_tcp_timeout_syn_sent", 120},
	{"net/netfilter/nf_conntrack_icmp_timeout", 30},
}

// Masquerade is a kernel NAT: masquerade out of the WAN interface, a
// forward filter that lets in only replies to what the LAN started, and an
// input rule that refuses new TCP/UDP flows from the WAN to the gateway
// (RST, port unreachable: what the stack would answer).
type Masquerade struct {
	FullyRandom bool
	FullCone    bool // admit new inbound flows to a mapped port from any remote (fullcone.go)
	link        nat.Link

	pmOnce sync.Once
	maps   *portmaps // static port mappings (portmap.go)
}

// Start installs the ruleset and scales conntrack timeouts.
func (m *Masquerade) Start(l nat.Link) error {
	m.link = l
	var settings []ns.Sysctl
	for _, t := range timeouts {
		v := int(math.Max(1, math.Round(t.def/l.Speed)))
		settings = append(settings, ns.Sysctl{Key: t.key, Value: strconv.Itoa(v)})
	}
	if err := l.Sysctl(settings...); err != nil {
		return err
	}
	c, err := nftables.New(nftables.WithNetNSFd(l.NS.Fd()))
	if err != nil {
		return fmt.Errorf("nftables in %s: %w", l.Node, err)
	}
	defer c.CloseLasting()
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: TableName})
	post := c.AddChain(&nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	c.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(l.WAN)},
		&expr.Masq{FullyRandom: m.FullyRandom},
	}})
	fwd := c.AddChain(&nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter})
	zero := []byte{0, 0, 0, 0}
	c.AddRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(l.WAN)},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED), Xor: zero},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: zero},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}})
	c.AddRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(l.WAN)},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}})
	// New TCP/UDP flows from the WAN to the gateway itself (an unmapped
	// port) are refused by a rule, with the RST or port-unreachable the
	// stack would send, instead of by the stack: a packet a rule rejects
	// leaves no confirmed UDP conntrack entry. Otherwise a monitor that
	// keeps probing a port while the gateway reboots holds an un-NATed
	// entry that the port's new DNAT rule never sees, and deleting such
	// entries costs a dump of the host-wide conntrack hash (~13 ms of CPU
	// with 262,144 buckets) under ctnetlink's one global mutex: 2,000 port
	// mappings at once stalled every IGD for seconds.
	in := c.AddChain(&nftables.Chain{Name: "input", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter})
	for _, r := range []struct {
		proto byte
		rej   expr.Reject
	}{
		{unix.IPPROTO_UDP, expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: 3}}, // port unreachable
		{unix.IPPROTO_TCP, expr.Reject{Type: unix.NFT_REJECT_TCP_RST}},
	} {
		rej := r.rej
		c.AddRule(&nftables.Rule{Table: t, Chain: in, Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(l.WAN)},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{r.proto}},
			&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitNEW), Xor: zero},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: zero},
			&rej,
		}})
	}
	if m.FullCone {
		if err := m.addFullCone(c, t, fwd, l.Speed); err != nil {
			return err
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("install nftables NAT in %s: %w", l.Node, err)
	}
	return nil
}

// Reset flushes the namespace's conntrack table: every mapping, static
// ones included, is lost.
func (m *Masquerade) Reset() error {
	if err := m.resetPortMaps(); err != nil {
		return err
	}
	h, err := m.link.NS.Netlink()
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.ConntrackTableFlush(netlink.ConntrackTable); err != nil {
		return fmt.Errorf("flush conntrack in %s: %w", m.link.Node, err)
	}
	if m.FullCone {
		c, err := nftables.New(nftables.WithNetNSFd(m.link.NS.Fd()))
		if err != nil {
			return err
		}
		defer c.CloseLasting()
		t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: TableName}
		for _, name := range []string{"fc_udp", "fc_tcp"} {
			c.FlushSet(&nftables.Set{Table: t, Name: name})
		}
		if err := c.Flush(); err != nil {
			return fmt.Errorf("flush full-cone maps in %s: %w", m.link.Node, err)
		}
	}
	return nil
}

// WANChanged flushes conntrack: masquerade mappings of the old address are void.
func (m *Masquerade) WANChanged(addr netip.Prefix) error {
	p := m.pm()
	p.mu.Lock()
	m.link.WANAddr = addr // port mappings are made on the new address
	p.mu.Unlock()
	return m.Reset()
}

// Close removes the table; conntrack entries age out with the namespace.
func (m *Masquerade) Close() error {
	m.stopPortMaps()
	c, err := nftables.New(nftables.WithNetNSFd(m.link.NS.Fd()))
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	c.DelTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: TableName})
	return c.Flush()
}

func ifname(n string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, n)
	return b
}
