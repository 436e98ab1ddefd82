package kernel

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/boxlab/boxlab/nat"
)

// Dump lists the conntrack entries this NAT translated (nat.Dumper): the
// original source is the internal endpoint, the reply's destination the
// external one.
func (m *Masquerade) Dump() ([]nat.Mapping, error) {
	h, err := m.link.NS.Netlink()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	flows, err := h.ConntrackTableList(netlink.ConntrackTable, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("conntrack in %s: %w", m.link.Node, err)
	}
	var out []nat.Mapping
	for _, f := range flows {
		in := addrPort(f.Forward.SrcIP, f.Forward.SrcPort)
		ext := addrPort(f.Reverse.DstIP, f.Reverse.DstPort)
		if in == ext || !in.IsValid() || !ext.IsValid() {
			continue // not translated
		}
		mp := nat.Mapping{Proto: protoName(f.Forward.Protocol), Internal: in, External: ext,
			Remote: addrPort(f.Forward.DstIP, f.Forward.DstPort)}
		out = append(out, mp)
	}
	return out, nil
}

func addrPort(ip []byte, port uint16) netip.AddrPort {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.Unmap(), port)
}

func protoName(p uint8) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	}
	return fmt.Sprint(p)
}
