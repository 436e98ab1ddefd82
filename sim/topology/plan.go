package topology

import (
	"fmt"
	"math/bits"
	"net/netip"

	"github.com/boxlab/boxlab/sim/scenario"
)

// Kind is what a node is in the topology.
type Kind int

// Node kinds.
const (
	Core Kind = iota
	Server
	ISP
	Gateway
	Device
)

func (k Kind) String() string {
	return [...]string{"core", "server", "isp", "gateway", "device"}[k]
}

// MaxPorts is how many members one bridge takes; Linux refuses the 1024th port.
const MaxPorts = 1000

// wanSegmentBits is the size of a WAN or CGNAT segment: a /21 holds MaxPorts
// members plus as many spare addresses for WAN changes.
const wanSegmentBits = 21

// Segment is one shared L2 segment owned by a node, and the subnet on it.
// The owner has the first host address; members get the next ones in order;
// the rest are spares for WAN address changes.
//
// Core and ISP segments are bridges. A home LAN is a macvlan segment: a veth
// (Port) in the gateway is the lower device, the gateway and each device get
// a macvlan on it in bridge mode. The kernel runs an rcu_barrier for every
// bridge it destroys (br_multicast_dev_del), measured at ~19 ms each, so a
// bridge per home would make tearing down 2,500 homes take most of a minute.
type Segment struct {
	Owner  string       // node that holds the segment
	Bridge string       // the owner's interface on it: the bridge, or the owner's macvlan
	Port   string       // macvlan segments: the lower device in the owner; "" for a bridge
	Prefix netip.Prefix // subnet
	Addr   netip.Addr   // owner's address, the members' default gateway
	Next   netip.Addr   // next address not yet handed out
	Count  int          // members attached
}

// Node is one namespace of the plan.
type Node struct {
	Name    string
	Kind    Kind
	Parent  string         // node holding the segment this node's uplink joins; "" for core
	Segment *Segment       // the segment joined
	Uplink  string         // interface name in this node
	Peer    string         // interface name of the uplink's other end, in Parent
	Addr    netip.Prefix   // uplink address with the segment's mask
	Extra   []netip.Prefix // more addresses on the uplink (servers with addresses > 1)
	Via     netip.Addr     // default route
	Down    []*Segment     // segments this node owns (core, ISP, gateway)
	Profile string         // NAT profile (ISP, gateway)
	NATOpts any            // decoded nat_options of the profile, nil for defaults
	Role    string         // device role (server, device; gateway: its gateway_role)
	Options any            // decoded role options
	Group   string         // home group (gateway, device)
	Home    int            // home index within the group
	Device  string         // device name in the group (device)
	Index   int            // instance index of the device in its home
	ISP     string         // ISP a gateway sits behind, "" if none
}

// Home is one gateway and its LAN devices.
type Home struct {
	Group   string
	Index   int
	Gateway *Node
	Devices []*Node
}

// Plan is the whole topology to build: nodes in build order (every parent
// before its children) and every home for selectors.
type Plan struct {
	Nodes   []*Node
	Homes   []*Home
	Groups  map[string][]*Home
	Servers map[string]*Node
	ISPs    map[string]*Node
	byName  map[string]*Node
}

// Node returns the node called name, or nil.
func (p *Plan) Node(name string) *Node { return p.byName[name] }

// Count returns how many nodes of kind k the plan has.
func (p *Plan) Count(k Kind) int {
	n := 0
	for _, nd := range p.Nodes {
		if nd.Kind == k {
			n++
		}
	}
	return n
}

// Name of the core router node.
const CoreName = "core"

// NewPlan lays out the topology of a validated scenario: names, links and
// addresses. It is pure: no kernel state is read or changed.
func NewPlan(s *scenario.Scenario) (*Plan, error) {
	p := &Plan{Groups: map[string][]*Home{}, Servers: map[string]*Node{}, ISPs: map[string]*Node{}, byName: map[string]*Node{}}
	core := &Node{Name: CoreName, Kind: Core}
	p.add(core)

	pools := s.Pools
	srvPool := orDefault(pools.Servers, scenario.DefaultServers)
	srvSeg, err := newSegment(core.Name, "srv0", srvPool)
	if err != nil {
		return nil, fmt.Errorf("pools.servers: %w", err)
	}
	core.Down = append(core.Down, srvSeg)
	for i, sv := range s.Topology.Servers {
		n := &Node{Name: sv.Name, Kind: Server, Role: sv.Role, Options: sv.Options.Value}
		if err := attach(n, core, srvSeg, fmt.Sprintf("s%d", i), "eth0"); err != nil {
			return nil, fmt.Errorf("pools.servers %s: %w", srvPool, err)
		}
		for k := 1; k < sv.Addresses; k++ {
			a, err := srvSeg.Take()
			if err != nil {
				return nil, fmt.Errorf("pools.servers %s: %w", srvPool, err)
			}
			n.Extra = append(n.Extra, netip.PrefixFrom(a, srvSeg.Prefix.Bits()))
		}
		p.add(n)
		p.Servers[n.Name] = n
	}

	pub := newCarver(core, "wan", orDefault(pools.Public, scenario.DefaultPublic))
	for i, is := range s.Topology.ISPs {
		n := &Node{Name: is.Name, Kind: ISP, Profile: is.NAT, NATOpts: is.NATOptions.Value}
		if err := pub.attach(n, fmt.Sprintf("i%d", i), "wan0"); err != nil {
			return nil, fmt.Errorf("pools.public: %w", err)
		}
		p.add(n)
		p.ISPs[n.Name] = n
	}
	cgnat, err := splitPool(orDefault(pools.CGNAT, scenario.DefaultCGNAT), len(s.Topology.ISPs))
	if err != nil {
		return nil, fmt.Errorf("pools.cgnat: %w", err)
	}
	ispCarvers := map[string]*carver{}
	for i, is := range s.Topology.ISPs {
		ispCarvers[is.Name] = newCarver(p.ISPs[is.Name], "lan", cgnat[i])
	}

	lanPool := orDefault(pools.LAN, scenario.DefaultLAN)
	gwCount := 0
	for _, g := range s.Topology.Homes {
		lan := orDefault(g.LAN, lanPool)
		for h := 0; h < g.Count; h++ {
			gw := &Node{Name: fmt.Sprintf("%s%d-gw", g.Name, h), Kind: Gateway, Profile: g.NAT, NATOpts: g.NATOptions.Value, Group: g.Name, Home: h, ISP: g.ISP,
				Role: g.GatewayRole, Options: g.GatewayOptions.Value}
			up := pub
			if g.ISP != "" {
				up = ispCarvers[g.ISP]
			}
			if err := up.attach(gw, fmt.Sprintf("g%d", gwCount), "wan0"); err != nil {
				return nil, fmt.Errorf("home group %s: %w", g.Name, err)
			}
			gwCount++
			p.add(gw)
			lanSeg, err := newSegment(gw.Name, "lan0", lan)
			if err != nil {
				return nil, fmt.Errorf("home group %s lan: %w", g.Name, err)
			}
			lanSeg.Port = "lanport"
			gw.Down = append(gw.Down, lanSeg)
			if ndev := deviceCount(g); hostsIn(lan) >= 100+ndev {
				lanSeg.Next = nth(lan, 100) // devices at .100 and up, as in seed 003's example
			}
			home := &Home{Group: g.Name, Index: h, Gateway: gw}
			port := 0
			for _, d := range g.Devices {
				for k := 0; k < d.Count; k++ {
					n := &Node{Name: fmt.Sprintf("%s%d-%s%d", g.Name, h, d.Name, k), Kind: Device,
						Role: d.Role, Options: d.Options.Value, Group: g.Name, Home: h, Device: d.Name, Index: k}
					if err := attach(n, gw, lanSeg, fmt.Sprintf("d%d", port), "eth0"); err != nil {
						return nil, fmt.Errorf("home group %s lan %s: %w", g.Name, lan, err)
					}
					port++
					p.add(n)
					home.Devices = append(home.Devices, n)
				}
			}
			p.Homes = append(p.Homes, home)
			p.Groups[g.Name] = append(p.Groups[g.Name], home)
		}
	}
	return p, nil
}

func (p *Plan) add(n *Node) {
	p.Nodes = append(p.Nodes, n)
	p.byName[n.Name] = n
}

func deviceCount(g scenario.HomeGroup) int {
	n := 0
	for _, d := range g.Devices {
		n += d.Count
	}
	return n
}

func orDefault(p scenario.Prefix, def netip.Prefix) netip.Prefix {
	if p.IsValid() {
		return p.Prefix.Masked()
	}
	return def
}

// attach joins n to seg owned by parent with the next free address.
func attach(n, parent *Node, seg *Segment, peer, uplink string) error {
	if seg.Count >= MaxPorts {
		return fmt.Errorf("segment %s is full (%d ports)", seg.Prefix, MaxPorts)
	}
	a, err := seg.Take()
	if err != nil {
		return err
	}
	n.Parent, n.Segment, n.Peer, n.Uplink = parent.Name, seg, peer, uplink
	n.Addr = netip.PrefixFrom(a, seg.Prefix.Bits())
	n.Via = seg.Addr
	seg.Count++
	return nil
}

// Take hands out the segment's next free address.
func (s *Segment) Take() (netip.Addr, error) {
	a := s.Next
	if !s.Prefix.Contains(a) || a == broadcast(s.Prefix) {
		return netip.Addr{}, fmt.Errorf("no free address left in %s", s.Prefix)
	}
	s.Next = a.Next()
	return a, nil
}

func newSegment(owner, bridge string, pfx netip.Prefix) (*Segment, error) {
	if !pfx.Addr().Is4() {
		return nil, fmt.Errorf("%s: want an IPv4 prefix", pfx)
	}
	if pfx.Bits() > 30 {
		return nil, fmt.Errorf("%s is too small: want /30 or larger", pfx)
	}
	first := pfx.Addr().Next()
	return &Segment{Owner: owner, Bridge: bridge, Prefix: pfx, Addr: first, Next: first.Next()}, nil
}

// carver hands out uplinks on segments it carves from a pool as they fill.
type carver struct {
	owner  *Node
	prefix string // bridge name prefix
	pool   netip.Prefix
	bits   int
	cur    *Segment
	n      int
}

func newCarver(owner *Node, bridgePrefix string, pool netip.Prefix) *carver {
	b := wanSegmentBits
	if pool.Bits() > b {
		b = pool.Bits()
	}
	return &carver{owner: owner, prefix: bridgePrefix, pool: pool, bits: b}
}

func (c *carver) attach(n *Node, peer, uplink string) error {
	if c.cur == nil || c.cur.Count >= MaxPorts || !c.cur.hasFree() {
		seg, err := c.next()
		if err != nil {
			return err
		}
		c.cur = seg
	}
	return attach(n, c.owner, c.cur, peer, uplink)
}

func (s *Segment) hasFree() bool {
	return s.Prefix.Contains(s.Next) && s.Next != broadcast(s.Prefix)
}

func (c *carver) next() (*Segment, error) {
	total := 1 << (c.bits - c.pool.Bits())
	if c.n >= total {
		return nil, fmt.Errorf("pool %s is exhausted after %d segments of /%d", c.pool, total, c.bits)
	}
	base := offset(c.pool.Addr(), uint32(c.n)<<(32-c.bits))
	seg, err := newSegment(c.owner.Name, fmt.Sprintf("%s%d", c.prefix, c.n), netip.PrefixFrom(base, c.bits))
	if err != nil {
		return nil, err
	}
	c.n++
	c.owner.Down = append(c.owner.Down, seg)
	return seg, nil
}

// splitPool divides pool into n equal power-of-two parts.
func splitPool(pool netip.Prefix, n int) ([]netip.Prefix, error) {
	if n == 0 {
		return nil, nil
	}
	extra := bits.Len(uint(n - 1))
	b := pool.Bits() + extra
	if b > 30 {
		return nil, fmt.Errorf("%s cannot be split among %d ISPs", pool, n)
	}
	out := make([]netip.Prefix, n)
	for i := range out {
		out[i] = netip.PrefixFrom(offset(pool.Addr(), uint32(i)<<(32-b)), b)
	}
	return out, nil
}

func offset(a netip.Addr, n uint32) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += n
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func nth(p netip.Prefix, i int) netip.Addr { return offset(p.Addr(), uint32(i)) }

func hostsIn(p netip.Prefix) int { return 1<<(32-p.Bits()) - 2 }

func broadcast(p netip.Prefix) netip.Addr { return offset(p.Addr(), uint32(1)<<(32-p.Bits())-1) }
