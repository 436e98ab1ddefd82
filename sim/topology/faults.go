package topology

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Link names a node's interface for link faults.
const (
	LinkWAN = "wan" // the node's uplink (wan0 of gateways and ISPs, eth0 of servers and devices)
	LinkLAN = "lan" // the LAN bridge of a gateway or ISP
)

func (n *Live) ifname(which string) (string, error) {
	switch which {
	case LinkWAN, "":
		if n.Uplink == "" {
			return "", fmt.Errorf("%s has no uplink", n.Name)
		}
		return n.Uplink, nil
	case LinkLAN:
		if len(n.Down) == 0 {
			return "", fmt.Errorf("%s has no LAN", n.Name)
		}
		if p := n.Down[0].Port; p != "" {
			return p, nil // the macvlan lower: the whole LAN loses carrier
		}
		return n.Down[0].Bridge, nil
	}
	return "", fmt.Errorf("unknown link %q; want wan or lan", which)
}

// SetLink sets a node's wan or lan link down or up. Bringing the uplink up
// restores the default route the kernel dropped when it went down.
func (t *Topology) SetLink(n *Live, which string, up bool) error {
	name, err := n.ifname(which)
	if err != nil {
		return err
	}
	h, err := n.NS.Netlink()
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", n.Name, name, err)
	}
	if !up {
		if err := h.LinkSetDown(l); err != nil {
			return fmt.Errorf("%s: %s down: %w", n.Name, name, err)
		}
		return nil
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("%s: %s up: %w", n.Name, name, err)
	}
	if name == n.Uplink {
		return defaultRoute(h, l, n.Via)
	}
	return nil
}

// RebootDown starts a gateway reboot: every NAT mapping is lost and the box
// stops forwarding (its links go down) until RebootUp.
func (t *Topology) RebootDown(n *Live) error {
	if n.NAT == nil {
		return fmt.Errorf("%s is not a NAT gateway", n.Name)
	}
	var errs []error
	errs = append(errs, n.NAT.Reset())
	errs = append(errs, t.SetLink(n, LinkWAN, false))
	errs = append(errs, t.SetLink(n, LinkLAN, false))
	return errors.Join(errs...)
}

// RebootUp ends a reboot: links up, an empty NAT table.
func (t *Topology) RebootUp(n *Live) error {
	var errs []error
	errs = append(errs, t.SetLink(n, LinkLAN, true))
	errs = append(errs, t.SetLink(n, LinkWAN, true))
	if n.NAT != nil {
		errs = append(errs, n.NAT.Reset())
	}
	return errors.Join(errs...)
}

// ChangeWAN gives a gateway or ISP the next spare address of its WAN segment,
// as an ISP's DHCP would after a lease loss; NAT state is lost with the old
// address. It returns the new address.
func (t *Topology) ChangeWAN(n *Live) (netip.Prefix, error) {
	if n.Kind != Gateway && n.Kind != ISP {
		return netip.Prefix{}, fmt.Errorf("%s is a %s, not a gateway or ISP", n.Name, n.Kind)
	}
	t.mu.Lock()
	a, err := n.Segment.Take()
	t.mu.Unlock()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: %w", n.Name, err)
	}
	np := netip.PrefixFrom(a, n.Segment.Prefix.Bits())
	h, err := n.NS.Netlink()
	if err != nil {
		return netip.Prefix{}, err
	}
	defer h.Close()
	l, err := h.LinkByName(n.Uplink)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: %w", n.Name, err)
	}
	old := n.Addr()
	if err := h.AddrDel(l, &netlink.Addr{IPNet: ipnet(old)}); err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: remove %s: %w", n.Name, old, err)
	}
	if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipnet(np)}); err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: add %s: %w", n.Name, np, err)
	}
	if err := defaultRoute(h, l, n.Via); err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: %w", n.Name, err)
	}
	if err := t.forgetNeighbor(n.Parent, old.Addr()); err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: %w", n.Name, err)
	}
	n.mu.Lock()
	n.addr = np
	n.mu.Unlock()
	if n.NAT != nil {
		if err := n.NAT.WANChanged(np); err != nil {
			return np, err
		}
	}
	return np, nil
}

// forgetNeighbor drops the upstream node's neighbour (ARP) entry for a
// released address, as the ISP's router does when the address goes back to
// its pool: otherwise packets to the old address keep reaching the gateway
// until the entry ages out, and a DNAT rule that does not match the
// destination address (miniupnpd's) forwards them as if nothing changed.
func (t *Topology) forgetNeighbor(parent string, a netip.Addr) error {
	p := t.Node(parent)
	if p == nil {
		return nil
	}
	h, err := p.NS.Netlink()
	if err != nil {
		return err
	}
	defer h.Close()
	neighs, err := h.NeighList(0, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("%s: neighbours: %w", parent, err)
	}
	for _, nb := range neighs {
		if ip, ok := netip.AddrFromSlice(nb.IP); ok && ip.Unmap() == a {
			if err := h.NeighDel(&nb); err != nil && !errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("%s: forget %s: %w", parent, a, err)
			}
		}
	}
	return nil
}
