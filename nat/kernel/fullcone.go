package kernel

import (
	"fmt"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Linux masquerade filters inbound traffic by remote address and port. Full
// cone (endpoint-independent filtering) needs the mapped port to accept new
// inbound flows from anyone. This is done in the packet path itself, without
// a conntrack-event listener and its race (eduP2P/common#151): a postrouting
// rule after source NAT writes "external port -> internal address and port"
// into a dynamic nftables map as each LAN-initiated packet leaves (refreshing
// the entry's timeout), and a prerouting DNAT looks the destination port of
// new inbound flows up in it. The entry exists before the first packet of
// the mapping is on the wire.
//
// Known limit: masquerade keeps tuples unique, not ports; when two internal
// endpoints share an external port (different remotes), the map follows the
// one that sent last.

// Register numbers: 1 is the first 16-byte register; 8.. are 32-bit ones
// overlapping it (8 and 9 are register 1's first two words).
const (
	regAddr = 8  // internal address (data word 1)
	regPort = 9  // internal port (data word 2)
	regKey  = 10 // external port
)

// ctStatusDNAT is IPS_DST_NAT in conntrack status.
const ctStatusDNAT = 1 << 5

func (m *Masquerade) addFullCone(c *nftables.Conn, t *nftables.Table, fwd *nftables.Chain, speed float64) error {
	learn := c.AddChain(&nftables.Chain{Name: "fullcone_learn", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPrioritySELinuxLast}) // after source NAT
	in := c.AddChain(&nftables.Chain{Name: "fullcone_in", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest})
	for _, p := range []struct {
		name    string
		proto   byte
		timeout time.Duration
	}{
		{"fc_udp", unix.IPPROTO_UDP, scaled(120, speed)},
		{"fc_tcp", unix.IPPROTO_TCP, scaled(7440, speed)},
	} {
		set := &nftables.Set{Name: p.name, Table: t, IsMap: true, HasTimeout: true, Dynamic: true, Timeout: p.timeout,
			KeyType: nftables.TypeInetService, DataType: nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetService)}
		if err := c.AddSet(set, nil); err != nil {
			return fmt.Errorf("fullcone map %s: %w", p.name, err)
		}
		// postrouting: oifname WAN, l4proto P, ct direction original:
		// update @map { th sport : ct original saddr . ct original proto-src }
		c.AddRule(&nftables.Rule{Table: t, Chain: learn, Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(m.link.WAN)},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{p.proto}},
			&expr.Ct{Key: expr.CtKeyDIRECTION, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0}},
			&expr.Payload{DestRegister: regKey, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 2},
			&expr.Ct{Key: expr.CtKeySRC, Register: regAddr, Direction: 0},
			&expr.Ct{Key: expr.CtKeyPROTOSRC, Register: regPort, Direction: 0},
			&expr.Dynset{SrcRegKey: regKey, SrcRegData: regAddr, SetName: p.name, Operation: uint32(unix.NFT_DYNSET_OP_UPDATE), Timeout: p.timeout},
		}})
		// prerouting: iifname WAN, l4proto P: dnat to th dport map @map
		c.AddRule(&nftables.Rule{Table: t, Chain: in, Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(m.link.WAN)},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{p.proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: p.name},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: regAddr, RegProtoMin: regPort, Specified: true},
		}})
	}
	// forward: new inbound flows the map DNATed are admitted.
	zero := []byte{0, 0, 0, 0}
	c.InsertRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(m.link.WAN)},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(ctStatusDNAT), Xor: zero},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: zero},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}})
	return nil
}

func scaled(seconds, speed float64) time.Duration {
	d := time.Duration(seconds / speed * float64(time.Second))
	if d < time.Second {
		d = time.Second
	}
	return d
}
