package userspace

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/boxlab/boxlab/nat"
)

// TableName is the netdev-family nftables table the datapath owns in the
// gateway namespace.
const TableName = "boxlab-dp"

// installIngress keeps the kernel out of the translated traffic: a netdev
// ingress chain per interface drops the IPv4 the datapath owns. On the WAN
// that is all IPv4; on a LAN it is IPv4 not addressed to the gateway itself
// (its address, broadcast or multicast), so local services still work. ARP
// is untouched. AF_PACKET ETH_P_ALL taps see frames before this hook.
func installIngress(l nat.Link) error {
	c, err := nftables.New(nftables.WithNetNSFd(l.NS.Fd()))
	if err != nil {
		return fmt.Errorf("nftables in %s: %w", l.Node, err)
	}
	defer c.CloseLasting()
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyNetdev, Name: TableName})
	wan := chain(c, t, "wan", l.WAN)
	c.AddRule(&nftables.Rule{Table: t, Chain: wan, Exprs: append(isIPv4(), drop())})
	for i, lan := range l.LANs {
		ch := chain(c, t, fmt.Sprintf("lan%d", i), lan.Iface)
		for _, local := range localDsts(lan.Addr) {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append(isIPv4(), dstIn(local)...)})
		}
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append(isIPv4(), drop())})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("install netdev ingress drop in %s: %w", l.Node, err)
	}
	return nil
}

// removeIngress deletes the table.
func removeIngress(l nat.Link) error {
	c, err := nftables.New(nftables.WithNetNSFd(l.NS.Fd()))
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	c.DelTable(&nftables.Table{Family: nftables.TableFamilyNetdev, Name: TableName})
	return c.Flush()
}

func chain(c *nftables.Conn, t *nftables.Table, name, dev string) *nftables.Chain {
	return c.AddChain(&nftables.Chain{Name: name, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookIngress, Priority: nftables.ChainPriorityFilter, Device: dev})
}

// localDsts are the destinations on a LAN the kernel keeps: the gateway's
// address, the limited and the subnet broadcast, and multicast (SSDP, mDNS).
func localDsts(p netip.Prefix) []netip.Prefix {
	bcast := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	for i := 0; i < 4; i++ {
		bcast[3-i] |= byte(host >> (8 * i))
	}
	return []netip.Prefix{
		netip.PrefixFrom(p.Addr(), 32),
		netip.PrefixFrom(netip.AddrFrom4(bcast), 32),
		netip.MustParsePrefix("255.255.255.255/32"),
		netip.MustParsePrefix("224.0.0.0/4"),
	}
}

func isIPv4() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyPROTOCOL, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0x08, 0x00}},
	}
}

// dstIn accepts IPv4 whose destination is in p.
func dstIn(p netip.Prefix) []expr.Any {
	m := [4]byte{}
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	a := p.Masked().Addr().As4()
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: m[:], Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a[:]},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}
}

func drop() expr.Any { return &expr.Verdict{Kind: expr.VerdictDrop} }
