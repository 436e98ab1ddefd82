package userspace

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/table"
	"github.com/boxlab/boxlab/sim/ns"
)

// routerRetry is how often an unresolved WAN router is asked for again
// after its ARP tries ran out.
const routerRetry = 10 * time.Second

// idleTick is the housekeeping period of a gateway with no mapping.
const idleTick = 10 * time.Second

type side uint8

const (
	wanSide side = iota
	lanSide
)

// port is one interface of the gateway: its packet socket, its address and
// its neighbour cache (guarded by NAT.mu).
type port struct {
	id     int
	side   side
	name   string
	s      *sock
	addr   netip.Prefix
	shaper *shaper
	neigh  map[netip.Addr]*neighbor
}

// NAT is the userspace datapath of one gateway: a nat.Gateway that moves
// frames between AF_PACKET sockets on the WAN and LAN interfaces and asks a
// table.Table what to do with each.
type NAT struct {
	behavior table.Behavior
	imp      Impairments

	link  nat.Link
	log   *slog.Logger
	speed float64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup

	mu       sync.Mutex // the table, the neighbour caches, drops and wan
	tab      *table.Table
	wan      netip.Prefix
	ports    []*port // ports[0] is the WAN
	drops    map[string]uint64
	errLimit errLimiter // ICMP errors the datapath originates
	icmpOut  uint64     // ICMP errors sent

	wanIn, wanOut, lanIn, lanOut atomic.Uint64
}

// New makes a userspace NAT gateway with behaviour b and impairments imp.
func New(b table.Behavior, imp Impairments) nat.Gateway { return &NAT{behavior: b, imp: imp} }

// Counters are the datapath's packet counts since Start.
type Counters struct {
	WANIn, WANOut, LANIn, LANOut uint64
	ICMPErrors                   uint64            // ICMP errors the datapath originated (Time Exceeded)
	Drops                        map[string]uint64 // by reason
}

// Counters returns a snapshot of the packet counters.
func (g *NAT) Counters() Counters {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := Counters{WANIn: g.wanIn.Load(), WANOut: g.wanOut.Load(), LANIn: g.lanIn.Load(), LANOut: g.lanOut.Load(),
		ICMPErrors: g.icmpOut, Drops: make(map[string]uint64, len(g.drops))}
	for k, v := range g.drops {
		c.Drops[k] = v
	}
	return c
}

// Mappings dumps the NAT table, for reports.
func (g *NAT) Mappings() []table.Mapping {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tab == nil {
		return nil
	}
	return g.tab.Mappings(g.simNow(time.Now()))
}

// Dump lists the live mappings for reports (nat.Dumper).
func (g *NAT) Dump() ([]nat.Mapping, error) {
	var out []nat.Mapping
	for _, m := range g.Mappings() {
		out = append(out, nat.Mapping{Proto: m.Proto.String(), Internal: m.Internal, External: m.External,
			Remote: m.Remote, Static: m.Static, State: m.State})
	}
	return out, nil
}

// Start takes over forwarding in the gateway namespace: ip_forward off, a
// netdev ingress drop for the IPv4 it owns, packet sockets on every
// interface, the table, the readers and the expiry timer.
func (g *NAT) Start(l nat.Link) (err error) {
	g.link, g.log, g.speed = l, l.Log, l.Speed
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.speed <= 0 {
		g.speed = 1
	}
	g.wan, g.drops, g.stop, g.start = l.WANAddr, map[string]uint64{}, make(chan struct{}), time.Now()
	if err := l.Sysctl(ns.Sysctl{Key: "net/ipv4/ip_forward", Value: "0"}); err != nil {
		return err
	}
	if err := installIngress(l); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			g.closePorts()
			removeIngress(l)
		}
	}()
	seed := seedOf(l.Node)
	if g.tab, err = table.New(g.behavior, []netip.Addr{l.WANAddr.Addr()}, seed); err != nil {
		return fmt.Errorf("%s: NAT table: %w", l.Node, err)
	}
	ifaces := []nat.LAN{{Iface: l.WAN, Addr: l.WANAddr}}
	ifaces = append(ifaces, l.LANs...)
	for i, ifc := range ifaces {
		p := &port{id: i, side: lanSide, name: ifc.Iface, addr: ifc.Addr, neigh: map[netip.Addr]*neighbor{}}
		im := g.imp.LAN
		if i == 0 {
			p.side, im = wanSide, g.imp.WAN
		}
		if p.s, err = openSock(l.NS, ifc.Iface); err != nil {
			return fmt.Errorf("%s: %w", l.Node, err)
		}
		g.ports = append(g.ports, p)
		if !im.none() {
			p.shaper = newShaper(im, seed+uint64(i)+1, g.sendHeld(p))
		}
	}
	for _, p := range g.ports {
		g.wg.Add(1)
		go g.readLoop(p)
	}
	g.wg.Add(1)
	go g.tick()
	g.mu.Lock()
	g.askRouter(time.Now())
	g.mu.Unlock()
	g.log.Info("nat.started", "node", l.Node, "datapath", "userspace", "wan", l.WANAddr.String(), "lans", len(l.LANs))
	return nil
}

func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// simNow is the scenario time the table runs on: real time since Start
// times the scenario speed.
func (g *NAT) simNow(now time.Time) time.Duration {
	return time.Duration(float64(now.Sub(g.start)) * g.speed)
}

// Reset drops every mapping, as a reboot does.
func (g *NAT) Reset() error {
	g.mu.Lock()
	if g.tab != nil {
		g.tab.Reset()
	}
	g.mu.Unlock()
	g.log.Info("nat.reset", "node", g.link.Node)
	return nil
}

// WANChanged moves the NAT to a new WAN address; every mapping is lost.
func (g *NAT) WANChanged(addr netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tab == nil {
		return errors.New("userspace NAT not started")
	}
	if err := g.tab.SetWAN([]netip.Addr{addr.Addr()}); err != nil {
		return fmt.Errorf("%s: %w", g.link.Node, err)
	}
	g.wan = addr
	g.ports[0].addr = addr
	g.log.Info("nat.wan_changed", "node", g.link.Node, "wan", addr.String())
	return nil
}

// Close stops the datapath, closes its sockets and removes its netdev
// table; ip_forward stays off.
func (g *NAT) Close() error {
	if g.stop == nil {
		return nil
	}
	select {
	case <-g.stop:
		return nil
	default:
	}
	close(g.stop)
	g.closePorts()
	g.wg.Wait()
	err := removeIngress(g.link)
	g.log.Info("nat.stopped", "node", g.link.Node)
	return err
}

func (g *NAT) closePorts() {
	for _, p := range g.ports {
		if p.shaper != nil {
			p.shaper.close()
		}
		if p.s != nil {
			p.s.close()
		}
	}
}

func (g *NAT) dropN(reason string, n int) {
	if reason == "" {
		reason = "table"
	}
	g.drops[reason] += uint64(n)
}

// tick expires mappings on the scenario clock, maintains the neighbour
// caches and logs drop summaries.
func (g *NAT) tick() {
	defer g.wg.Done()
	// Busy gateways tick every second; an idle one (no mapping) every
	// idleTick, so thousands of idle gateways cost next to no CPU (measured:
	// 500 gateways ticking every second took 4.2% of a core).
	t := time.NewTimer(time.Second)
	defer t.Stop()
	var lastDrops uint64
	lastLog, lastAsk := time.Now(), time.Now()
	for {
		select {
		case <-g.stop:
			return
		case now := <-t.C:
			g.mu.Lock()
			g.tab.Expire(g.simNow(now))
			for _, p := range g.ports {
				asks, failed, ips := p.maintain(now)
				for _, ip := range asks {
					p.s.send(p.arpRequest(ip))
				}
				if failed > 0 {
					g.dropN(dropARPFailed, failed)
				}
				if p.side == wanSide && len(ips) > 0 {
					g.log.Warn("nat.neighbor_failed", "node", g.link.Node, "iface", p.name, "addrs", fmt.Sprint(ips))
				}
			}
			if e := g.ports[0].neigh[g.link.Router]; e == nil && now.Sub(lastAsk) >= routerRetry {
				g.askRouter(now) // an unreachable router is asked for again, slowly
				lastAsk = now
			}
			var total uint64
			for _, v := range g.drops {
				total += v
			}
			var summary []any
			if total != lastDrops && now.Sub(lastLog) >= 10*time.Second {
				summary = g.summaryLocked(total - lastDrops)
				lastDrops, lastLog = total, now
			}
			next := time.Second
			if g.tab.Len() == 0 {
				next = idleTick
			}
			g.mu.Unlock()
			t.Reset(next)
			if summary != nil {
				g.log.Info("nat.drops", summary...)
			}
		}
	}
}

func (g *NAT) summaryLocked(newDrops uint64) []any {
	reasons := make([]string, 0, len(g.drops))
	for k := range g.drops {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	by := ""
	for _, r := range reasons {
		by += fmt.Sprintf("%s=%d ", r, g.drops[r])
	}
	return []any{"node", g.link.Node, "new", newDrops, "total_by_reason", by,
		"wan_in", g.wanIn.Load(), "wan_out", g.wanOut.Load(), "lan_in", g.lanIn.Load(), "lan_out", g.lanOut.Load()}
}

// askRouter sends a who-has for the WAN router; g.mu is held.
func (g *NAT) askRouter(now time.Time) {
	if !g.link.Router.IsValid() {
		return
	}
	p := g.ports[0]
	if _, _, ask, _ := p.resolve(g.link.Router, nil, now); ask {
		p.s.send(p.arpRequest(g.link.Router))
	}
}

// sendHeld sends frames a shaper held back.
func (g *NAT) sendHeld(p *port) func([]byte) {
	return func(b []byte) {
		if err := p.s.send(b); err != nil {
			g.mu.Lock()
			g.dropN(dropTX, 1)
			g.mu.Unlock()
			return
		}
		g.countOut(p, 1)
	}
}

func (g *NAT) countOut(p *port, n int) {
	if p.side == wanSide {
		g.wanOut.Add(uint64(n))
	} else {
		g.lanOut.Add(uint64(n))
	}
}
