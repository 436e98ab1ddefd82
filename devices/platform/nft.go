package platform

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/devices"
)

// dropKernelRSTs installs, in the platform's namespace only:
//
//	table ip boxlab_platform { chain out { type filter hook output priority 0
//	  meta l4proto tcp tcp sport base-(base+999) tcp flags & rst != 0 drop } }
//
// The netlink socket is opened inside env.NS.Do rather than with
// nftables.WithNetNSFd: the library's own namespace switch looks up
// /proc/self/task/<tid>, which does not exist when the platform runs as an
// exec program in its own PID namespace (boxlab device platform).
func dropKernelRSTs(env *devices.Env, base uint16) error {
	return env.NS.Do(func() error { return installRSTDrop(env.Node, base) })
}

func installRSTDrop(node string, base uint16) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables in %s: %w", node, err)
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: nftTable})
	c.FlushTable(t)
	out := c.AddChain(&nftables.Chain{Name: "out", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter})
	c.AddRule(&nftables.Rule{Table: t, Chain: out, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 2},
		&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: be16(base), ToData: be16(base + tcpPorts - 1)},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 13, Len: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 1, Mask: []byte{0x04}, Xor: []byte{0}},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("install RST drop in %s: %w", node, err)
	}
	return nil
}
