package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/sim/ns"
)

// Options control how a plan is built.
type Options struct {
	RunID    string       // names are bl-<RunID>-<node> when Named
	Named    bool         // bind-mount namespaces under /run/netns (for --keep, ip netns exec, boxlab shell)
	Speed    float64      // scenario speed, passed to NAT backends
	Profiles nat.Profiles // NAT profiles for gateways and ISPs
	Log      *slog.Logger
	Progress func() // called once per node built; may be nil
	Workers  int    // parallel home builders; default 2
	// Holder keeps the namespaces' descriptors in ns.Holder helper
	// processes instead of this one: for more namespaces than this
	// process's RLIMIT_NOFILE leaves room for next to its sockets.
	Holder bool
}

// Live is a built node.
type Live struct {
	*Node
	NS  *ns.NS
	NAT nat.Gateway

	mu   sync.Mutex
	addr netip.Prefix // current uplink address
}

// Addr is the node's current uplink address.
func (l *Live) Addr() netip.Prefix {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addr
}

// Topology is a built plan: namespaces that exist until Close.
type Topology struct {
	Plan  *Plan
	opts  Options
	nodes map[string]*Live
	order []*Live
	mu    sync.Mutex // guards the maps while building and segment spares during faults

	shared  map[string]*netlink.Handle // netlink handles bound to core and ISPs, shared by builders while building
	bridges map[*Segment]int           // bridge ifindex per segment, in its owner
	holder  *ns.Holder                 // nil unless Options.Holder
}

// Node returns the built node called name, or nil.
func (t *Topology) Node(name string) *Live {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.nodes[name]
}

// Nodes returns every built node in build order.
func (t *Topology) Nodes() []*Live {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*Live(nil), t.order...)
}

// PublicAddr is the address the internet sees for a node: its outermost
// NAT's WAN address for home nodes, its own address otherwise.
func (t *Topology) PublicAddr(name string) netip.Addr {
	n := t.Node(name)
	if n == nil {
		return netip.Addr{}
	}
	if n.Kind == Device {
		n = t.Node(n.Parent)
	}
	if n.Kind == Gateway && n.ISP != "" {
		n = t.Node(n.ISP)
	}
	return n.Addr().Addr()
}

// Build creates every namespace, link, address, route and NAT of the plan.
// On error it tears down what it made. ctx cancels the build.
func Build(ctx context.Context, p *Plan, o Options) (*Topology, error) {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	t := &Topology{Plan: p, opts: o, nodes: map[string]*Live{}, shared: map[string]*netlink.Handle{}, bridges: map[*Segment]int{}}
	if o.Holder {
		h, err := ns.NewHolder()
		if err != nil {
			return nil, err
		}
		t.holder = h
	}
	defer t.closeShared()
	var homes []*Home
	// Core, servers and ISPs first, on one thread: everything else hangs off them.
	b := &builder{t: t, parents: t.shared}
	err := b.run(func() error {
		for _, n := range p.Nodes {
			if n.Kind == Gateway || n.Kind == Device {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := b.node(n); err != nil {
				return err
			}
		}
		return nil
	})

	if err == nil {
		homes = p.Homes
		err = t.buildHomes(ctx, homes, o.Workers)
	}

	if err == nil {
		err = t.startNATs()
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (t *Topology) closeShared() {
	for name, h := range t.shared {
		h.Close()
		delete(t.shared, name)
	}
}

func (t *Topology) buildHomes(ctx context.Context, homes []*Home, workers int) error {
	next := make(chan *Home)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := &builder{t: t, parents: map[string]*netlink.Handle{}}
			errs <- b.run(func() error {
				for h := range next {
					if err := b.home(h); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	var err error
feed:
	for _, h := range homes {
		select {
		case next <- h:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	go func() { wg.Wait(); close(errs) }()
	for e := range errs {
		if err == nil {
			err = e
		}
	}
	return err
}

// natWorkers start NATs in parallel: each start commits nftables rules,
// and concurrent commits share the kernel's RCU grace periods.
const natWorkers = 8

func (t *Topology) startNATs() error {
	next := make(chan *Live)
	errs := make(chan error, natWorkers)
	var wg sync.WaitGroup
	for w := 0; w < natWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			proc, err := ns.NewProcFS() // not shareable: one per worker
			if err != nil {
				errs <- err
				for range next {
				}
				return
			}
			defer proc.Close()
			var first error
			for n := range next {
				if first != nil {
					continue
				}
				first = t.startNAT(n, proc)
			}
			errs <- first
		}()
	}
	for _, n := range t.Nodes() {
		if n.Kind == Gateway || n.Kind == ISP {
			next <- n
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	var all []error
	for e := range errs {
		all = append(all, e)
	}
	return errors.Join(all...)
}

func (t *Topology) startNAT(n *Live, proc *ns.ProcFS) error {
	g, err := t.opts.Profiles.New(n.Profile, n.NATOpts)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	if err := g.Start(t.natLink(n, proc)); err != nil {
		return fmt.Errorf("%s: start NAT %s: %w", n.Name, n.Profile, err)
	}
	n.NAT = g
	return nil
}

func (t *Topology) natLink(n *Live, proc *ns.ProcFS) nat.Link {
	l := nat.Link{NS: n.NS, Node: n.Name, WAN: n.Uplink, WANAddr: n.Addr(), Router: n.Via,
		Speed: t.opts.Speed, Log: t.opts.Log, Sysctl: n.NS.WriteSysctls}
	for _, seg := range n.Down {
		l.LANs = append(l.LANs, nat.LAN{Iface: seg.Bridge, Addr: netip.PrefixFrom(seg.Addr, seg.Prefix.Bits())})
	}
	if p := proc; p != nil {
		l.Sysctl = func(s ...ns.Sysctl) error {
			return n.NS.Do(func() error { return p.WriteHere(s...) })
		}
	}
	return l
}

// builder creates nodes on one locked OS thread that moves between namespaces.
type builder struct {
	t       *Topology
	proc    *ns.ProcFS
	root    int
	parents map[string]*netlink.Handle // netlink handles bound to parent namespaces built by this builder
}

func (b *builder) run(fn func() error) error {
	runtime.LockOSThread()
	root, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer unix.Close(root)
	b.root = root
	if b.proc, err = ns.NewProcFS(); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	err = fn()
	err = errors.Join(err, b.proc.Close())
	if e := unix.Setns(root, unix.CLONE_NEWNET); e != nil {
		return errors.Join(err, fmt.Errorf("return to root netns: %w", e)) // thread stays locked and is retired
	}
	runtime.UnlockOSThread()
	return err
}

func (b *builder) home(h *Home) error {
	if err := b.node(h.Gateway); err != nil {
		return err
	}
	for _, d := range h.Devices {
		if err := b.node(d); err != nil {
			return err
		}
	}
	if ph := b.parents[h.Gateway.Name]; ph != nil {
		ph.Close()
		delete(b.parents, h.Gateway.Name)
	}
	return nil
}

// node creates n's namespace, enters it, sets sysctls, its bridges and its uplink.
func (b *builder) node(n *Node) error {
	name := ""
	if b.t.opts.Named {
		name = ns.Prefix + b.t.opts.RunID + "-" + n.Name
	}
	forward := n.Kind == Core || n.Kind == ISP || n.Kind == Gateway
	handle := new(*netlink.Handle)
	create := ns.Create
	if h := b.t.holder; h != nil {
		create = h.Create
	}
	nsh, err := create(name, func() error {
		return b.setupHere(n, forward, handle)
	})
	// ns.Create returned to this builder's thread namespace of origin; the
	// builder thread is always back in root between nodes.
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	live := &Live{Node: n, NS: nsh, addr: n.Addr}
	b.t.mu.Lock()
	b.t.nodes[n.Name] = live
	b.t.order = append(b.t.order, live)
	b.t.mu.Unlock()
	if len(n.Down) > 0 && *handle != nil {
		b.t.mu.Lock()
		b.parents[n.Name] = *handle
		b.t.mu.Unlock()
	} else if *handle != nil {
		(*handle).Close()
	}
	if b.t.opts.Progress != nil {
		b.t.opts.Progress()
	}
	return nil
}

// setupHere runs inside the new namespace n on the builder's thread.
func (b *builder) setupHere(n *Node, forward bool, keep **netlink.Handle) error {
	fw := "0"
	if forward {
		fw = "1"
	}
	settings := []ns.Sysctl{
		{Key: "net/ipv6/conf/all/disable_ipv6", Value: "1"}, // before any link: IPv6 makes setup 2-3x slower
		{Key: "net/ipv6/conf/default/disable_ipv6", Value: "1"},
		{Key: "net/ipv4/conf/all/rp_filter", Value: "0"},
		{Key: "net/ipv4/conf/default/rp_filter", Value: "0"},
		{Key: "net/ipv4/ip_forward", Value: fw},
	}
	if len(n.Down) > 0 {
		// Bridges here are plain L2: bridged LAN frames must not enter conntrack.
		settings = append(settings, ns.Sysctl{Key: "net/bridge/bridge-nf-call-iptables", Value: "0"})
	}
	if err := b.proc.WriteHere(settings...); err != nil {
		return err
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	*keep = h
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	for _, seg := range n.Down {
		idx, err := makeSegment(h, seg)
		if err != nil {
			return err
		}
		b.t.mu.Lock()
		b.t.bridges[seg] = idx
		b.t.mu.Unlock()
	}
	if n.Parent == "" {
		return nil
	}
	return b.uplinkHere(n, h)
}

// makeSegment creates a segment in its owner (the calling thread's
// namespace) and returns the ifindex members attach to: the bridge, or the
// macvlan lower device.
func makeSegment(h *netlink.Handle, seg *Segment) (int, error) {
	addr := &netlink.Addr{IPNet: ipnet(netip.PrefixFrom(seg.Addr, seg.Prefix.Bits()))}
	if seg.Port == "" {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: seg.Bridge, Flags: net.FlagUp, TxQLen: -1}}
		if err := h.LinkAdd(br); err != nil {
			return 0, fmt.Errorf("bridge %s: %w", seg.Bridge, err)
		}
		if err := h.AddrAdd(br, addr); err != nil {
			return 0, fmt.Errorf("bridge %s address: %w", seg.Bridge, err)
		}
		return br.Index, nil
	}
	// The lower device is one end of a veth pair whose other end stays unused
	// but up, so the lower has carrier.
	port := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: seg.Port, Flags: net.FlagUp, TxQLen: -1}, PeerName: seg.Port + "p", PeerTxQLen: -1}
	if err := h.LinkAdd(port); err != nil {
		return 0, fmt.Errorf("LAN port %s: %w", seg.Port, err)
	}
	peer, err := h.LinkByName(seg.Port + "p")
	if err != nil {
		return 0, fmt.Errorf("LAN port peer: %w", err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		return 0, fmt.Errorf("LAN port peer up: %w", err)
	}
	mv := &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: seg.Bridge, ParentIndex: port.Index, Flags: net.FlagUp, TxQLen: -1},
		Mode: netlink.MACVLAN_MODE_BRIDGE}
	if err := h.LinkAdd(mv); err != nil {
		return 0, fmt.Errorf("LAN %s: %w", seg.Bridge, err)
	}
	if err := h.AddrAdd(mv, addr); err != nil {
		return 0, fmt.Errorf("LAN %s address: %w", seg.Bridge, err)
	}
	return port.Index, nil
}

// uplinkHere makes the veth from the parent's bridge into this namespace and
// configures this end. The thread is inside n's namespace.
func (b *builder) uplinkHere(n *Node, h *netlink.Handle) error {
	b.t.mu.Lock()
	ph := b.parents[n.Parent]
	if ph == nil {
		ph = b.t.shared[n.Parent]
	}
	br, ok := b.t.bridges[n.Segment]
	b.t.mu.Unlock()
	if ph == nil {
		return fmt.Errorf("parent %s has no netlink handle", n.Parent)
	}
	if !ok {
		return fmt.Errorf("parent %s bridge %s unknown", n.Parent, n.Segment.Bridge)
	}
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(self)
	if n.Segment.Port != "" {
		mv := &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: n.Uplink, ParentIndex: br, Namespace: netlink.NsFd(self), TxQLen: -1},
			Mode: netlink.MACVLAN_MODE_BRIDGE}
		if err := ph.LinkAdd(mv); err != nil {
			return fmt.Errorf("macvlan %s on %s/%s: %w", n.Uplink, n.Parent, n.Segment.Port, err)
		}
	} else {
		veth := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: n.Peer, MasterIndex: br, Flags: net.FlagUp, TxQLen: -1},
			PeerName:      n.Uplink,
			PeerNamespace: netlink.NsFd(self),
			PeerTxQLen:    -1,
		}
		if err := ph.LinkAdd(veth); err != nil {
			// A half-made veth (e.g. EXFULL on enslaving) would be left behind.
			if l, e := ph.LinkByName(n.Peer); e == nil {
				ph.LinkDel(l)
			}
			return fmt.Errorf("veth %s/%s: %w", n.Parent, n.Peer, err)
		}
	}
	up, err := h.LinkByName(n.Uplink)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Uplink, err)
	}
	if err := h.LinkSetUp(up); err != nil {
		return fmt.Errorf("%s up: %w", n.Uplink, err)
	}
	for _, a := range append([]netip.Prefix{n.Addr}, n.Extra...) {
		if err := h.AddrAdd(up, &netlink.Addr{IPNet: ipnet(a)}); err != nil {
			return fmt.Errorf("%s address %s: %w", n.Uplink, a, err)
		}
	}
	return defaultRoute(h, up, n.Via)
}

func defaultRoute(h *netlink.Handle, link netlink.Link, via netip.Addr) error {
	r := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: via.AsSlice(), Dst: nil}
	if err := h.RouteReplace(r); err != nil {
		return fmt.Errorf("default route via %s: %w", via, err)
	}
	return nil
}

func ipnet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}
}

// Close tears the topology down: NATs stopped, every namespace released, then
// it waits (up to a minute) until the kernel has destroyed the homes' links in
// the core before releasing the core. It returns how long that took.
func (t *Topology) Close() (time.Duration, error) {
	start := time.Now()
	nodes := t.Nodes()
	var core *Live
	var errs []error
	// A userspace NAT holds sockets in its gateway: stop it first, or the
	// namespace (and its veth in the core) outlives the fd.
	errs = append(errs, closeNATs(nodes))
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		if n.Kind == Core {
			core = n
			continue
		}
		errs = append(errs, n.NS.Close())
	}
	if core != nil {
		// TCP sockets the kernel still closes (FIN_WAIT, retransmitting
		// orphans) hold their namespace until they time out; that is the
		// kernel finishing, not a leak, so it is logged, not an error.
		if left := waitLinksGone(core, len(core.Down)+1, 15*time.Second); left > 0 {
			t.opts.Log.Warn("teardown.lingering", "links", left,
				"why", "namespaces held by TCP sockets the kernel is still closing; it frees them when they time out")
		}
		errs = append(errs, core.NS.Close())
	}
	t.mu.Lock()
	t.nodes, t.order = map[string]*Live{}, nil
	t.mu.Unlock()
	errs = append(errs, t.closeHolder())
	return time.Since(start), errors.Join(errs...)
}

// closeHolder ends the namespace holder's helpers, if any.
func (t *Topology) closeHolder() error {
	if t.holder == nil {
		return nil
	}
	err := t.holder.Close()
	t.holder = nil
	return err
}

// Held is how many namespaces the holder's helper processes hold and how
// many helpers there are (0, 0 without Options.Holder).
func (t *Topology) Held() (namespaces, processes int) {
	if t.holder == nil {
		return 0, 0
	}
	return t.holder.Held(), t.holder.Processes()
}

// closeNATs stops every NAT, many at a time: each one's nftables commit
// waits for an RCU grace period, and concurrent commits share them (2,500
// userspace gateways took 75 s to close one by one).
func closeNATs(nodes []*Live) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, 64)
	for _, n := range nodes {
		if n.NAT == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(n *Live) {
			defer func() { <-sem; wg.Done() }()
			if err := n.NAT.Close(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", n.Name, err))
				mu.Unlock()
			}
			n.NAT = nil
		}(n)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Keep releases the topology but leaves the named namespaces in place for
// inspection; Reap or `boxlab clean` removes them.
func (t *Topology) Keep() {
	for _, n := range t.Nodes() {
		n.NS.Keep()
		n.NS.Close()
	}
	t.closeHolder()
}

// waitLinksGone polls the core until only want links (lo and bridges)
// remain or limit passes; it returns how many more are left.
func waitLinksGone(core *Live, want int, limit time.Duration) int {
	h, err := core.NS.Netlink()
	if err != nil {
		return 0
	}
	defer h.Close()
	deadline := time.Now().Add(limit)
	for {
		links, err := h.LinkList()
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return 0
		}
		if len(links) <= want || time.Now().After(deadline) {
			return max(0, len(links)-want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
