package userspace

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/google/nftables"
	"github.com/gopacket/gopacket/layers"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/kernel"
	"github.com/boxlab/boxlab/sim/ns"
)

// benchNet is three namespaces in a row: snd (10.88.0.2) - [a0 gw b0] -
// rcv (198.18.0.2). a0 is the gateway's LAN, b0 its WAN.
type benchNet struct {
	snd, gw, rcv       *ns.NS
	sndMAC, a0MAC      [6]byte
	rcvMAC             [6]byte
	lan, wan           netip.Prefix
	router, dst, srcIP netip.Addr
}

func noIPv6() error {
	return ns.WriteSysctlsHere(ns.Sysctl{Key: "net/ipv6/conf/all/disable_ipv6", Value: "1"},
		ns.Sysctl{Key: "net/ipv6/conf/default/disable_ipv6", Value: "1"})
}

func newBenchNet(tb testing.TB) *benchNet {
	tb.Helper()
	bn := &benchNet{lan: netip.MustParsePrefix("10.88.0.1/24"), wan: netip.MustParsePrefix("198.18.0.1/24"),
		router: netip.MustParseAddr("198.18.0.2"), dst: netip.MustParseAddr("198.18.0.2"), srcIP: netip.MustParseAddr("10.88.0.2")}
	var err error
	for _, p := range []**ns.NS{&bn.snd, &bn.gw, &bn.rcv} {
		if *p, err = ns.Create("", noIPv6); err != nil {
			tb.Fatal(err)
		}
		n := *p
		tb.Cleanup(func() { n.Close() })
	}
	h, err := bn.gw.Netlink()
	if err != nil {
		tb.Fatal(err)
	}
	defer h.Close()
	for _, v := range []struct {
		name string
		peer *ns.NS
	}{{"a0", bn.snd}, {"b0", bn.rcv}} {
		if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: v.name}, PeerName: "eth0", PeerNamespace: netlink.NsFd(v.peer.Fd())}); err != nil {
			tb.Fatal(err)
		}
	}
	bn.a0MAC = up(tb, h, "a0", bn.lan)
	up(tb, h, "b0", bn.wan)
	for _, side := range []struct {
		n    *ns.NS
		addr string
		mac  *[6]byte
	}{{bn.snd, "10.88.0.2/24", &bn.sndMAC}, {bn.rcv, "198.18.0.2/24", &bn.rcvMAC}} {
		hh, err := side.n.Netlink()
		if err != nil {
			tb.Fatal(err)
		}
		*side.mac = up(tb, hh, "eth0", netip.MustParsePrefix(side.addr))
		hh.Close()
	}
	return bn
}

func up(tb testing.TB, h *netlink.Handle, name string, p netip.Prefix) (mac [6]byte) {
	tb.Helper()
	l, err := h.LinkByName(name)
	if err != nil {
		tb.Fatal(err)
	}
	if err := h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}}); err != nil {
		tb.Fatal(err)
	}
	if err := h.LinkSetUp(l); err != nil {
		tb.Fatal(err)
	}
	copy(mac[:], l.Attrs().HardwareAddr)
	return mac
}

func (bn *benchNet) link() nat.Link {
	return nat.Link{NS: bn.gw, Node: "bench-gw", WAN: "b0", WANAddr: bn.wan, Router: bn.router,
		LANs: []nat.LAN{{Iface: "a0", Addr: bn.lan}}, Speed: 1, Sysctl: bn.gw.WriteSysctls}
}

// sink makes the receiver cheap: a netdev ingress chain on rcv's eth0 drops
// every IPv4 frame. veth hands a frame to its peer's stack in the sender's
// softirq, so without it the gateway's core would also pay for rcv's routing,
// UDP lookup and ICMP port-unreachable attempts for every frame. The count is
// unchanged: veth counts a frame received when its peer transmits it.
func (bn *benchNet) sink(tb testing.TB) {
	c, err := nftables.New(nftables.WithNetNSFd(bn.rcv.Fd()))
	if err != nil {
		tb.Fatal(err)
	}
	defer c.CloseLasting()
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyNetdev, Name: "sink"})
	ch := chain(c, t, "in", "eth0")
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append(isIPv4(), drop())})
	if err := c.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// rxPackets reads rcv's eth0 receive counter.
func (bn *benchNet) rxPackets(tb testing.TB) uint64 {
	h, err := bn.rcv.Netlink()
	if err != nil {
		tb.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName("eth0")
	if err != nil {
		tb.Fatal(err)
	}
	return l.Attrs().Statistics.RxPackets
}

// blast sends 60-byte UDP frames (64 on the wire) from snd to the gateway's
// MAC as fast as sendmmsg goes, over 64 source ports, until stop. (A
// TPACKET_V2 TX ring was tried: it offered no more and the gateways
// forwarded less of it, the ring's frames arriving as page fragments.)
func (bn *benchNet) blast(tb testing.TB, stop *atomic.Bool, tid *atomic.Int32) {
	var frames [][]byte
	for i := 0; i < 64; i++ {
		f := frame(tb, netip.AddrPortFrom(bn.srcIP, uint16(40000+i)), netip.AddrPortFrom(bn.dst, 9), 64, layers.IPProtocolUDP, make([]byte, 18))
		copy(f[0:6], bn.a0MAC[:])
		copy(f[6:12], bn.sndMAC[:])
		frames = append(frames, f)
	}
	fd, err := bn.snd.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		tb.Error(err)
		return
	}
	defer unix.Close(fd)
	ifi := 0
	bn.snd.Do(func() error {
		i, err := net.InterfaceByName("eth0")
		if err == nil {
			ifi = i.Index
		}
		return err
	})
	unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: 0, Ifindex: ifi})
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid.Store(int32(unix.Gettid()))
	if runtime.NumCPU() >= 2 {
		var cpu0 unix.CPUSet
		cpu0.Set(0)
		unix.SchedSetaffinity(0, &cpu0)
	}
	iovs := make([]unix.Iovec, len(frames))
	hdrs := make([]unix.Mmsghdr, len(frames))
	for i, f := range frames {
		iovs[i].Base = &f[0]
		iovs[i].SetLen(len(f))
		hdrs[i].Hdr.Iov = &iovs[i]
		hdrs[i].Hdr.SetIovlen(1)
	}
	for !stop.Load() {
		unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), 0, 0, 0)
	}
}

// round is one measurement of one forwarder.
type round struct {
	got, offered float64 // kpps arrived at the receiver, kpps the sender sent
	nsPerPkt     float64 // CPU of the process outside the sender's thread, per frame arrived
}

// measure runs the blaster for d after a warm-up. Besides the rates it
// takes the CPU the process spent outside the sender's thread (the
// forwarder's goroutines and the softirq work that runs in their syscalls)
// per frame arrived: a cost that, unlike a rate, other jobs on the machine
// barely change. It means nothing for kernel masquerade, which runs in the
// sender's thread.
func (bn *benchNet) measure(tb testing.TB, d time.Duration) round {
	var stop atomic.Bool
	var tid atomic.Int32
	done := make(chan struct{})
	go func() { bn.blast(tb, &stop, &tid); close(done) }()
	time.Sleep(300 * time.Millisecond)
	n0, s0, c0, t0 := bn.rxPackets(tb), bn.txPackets(tb), cpuOutside(int(tid.Load())), time.Now()
	time.Sleep(d)
	n1, s1, c1, t1 := bn.rxPackets(tb), bn.txPackets(tb), cpuOutside(int(tid.Load())), time.Now()
	stop.Store(true)
	<-done
	time.Sleep(100 * time.Millisecond)
	secs := t1.Sub(t0).Seconds()
	r := round{got: float64(n1-n0) / secs / 1000, offered: float64(s1-s0) / secs / 1000}
	if n1 > n0 {
		r.nsPerPkt = float64(c1-c0) / float64(n1-n0)
	}
	return r
}

// cpuOutside is the CPU time of the process minus that of thread tid, in ns.
func cpuOutside(tid int) int64 {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	var ts unix.Timespec
	unix.ClockGettime(int32(^tid<<3|6), &ts) // MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)
	return ru.Utime.Nano() + ru.Stime.Nano() - ts.Nano()
}

// txPackets reads snd's eth0 transmit counter.
func (bn *benchNet) txPackets(tb testing.TB) uint64 {
	h, err := bn.snd.Netlink()
	if err != nil {
		tb.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName("eth0")
	if err != nil {
		tb.Fatal(err)
	}
	return l.Attrs().Statistics.TxPackets
}

// rawForward is the baseline: the same batched non-blocking packet sockets,
// frames moved from a0 to b0 with only the MACs rewritten.
func rawForward(tb testing.TB, bn *benchNet, stop chan struct{}) func() {
	in, err := openSock(bn.gw, "a0")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := openSock(bn.gw, "b0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rb, tx := newRxBatch(), newTxBatch(out)
		for {
			n, err := in.recv(rb)
			if err != nil {
				return
			}
			for i := 0; i < n; i++ {
				f := rb.frame(i).b
				if len(f) < ethLen || binary.BigEndian.Uint16(f[12:]) != etherTypeIPv4 {
					continue
				}
				copy(f[0:6], bn.rcvMAC[:])
				copy(f[6:12], out.mac[:])
				tx.add(f)
			}
			tx.flush()
		}
	}()
	return func() { in.close(); out.close(); <-done }
}

// pin sets the CPU affinity of every thread of the process.
func pin(cpus ...int) {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		var tid int
		fmt.Sscan(t.Name(), &tid)
		unix.SchedSetaffinity(tid, &set)
	}
}

// forwarder is one of the compared gateways: start it, stop it.
type forwarder struct {
	name  string
	start func() (stop func())
}

// BenchmarkForward64B measures 64-byte UDP frames per second through one
// gateway on one core: (a) a raw AF_PACKET forwarder, (b) the userspace NAT,
// (c) kernel masquerade; issue 3 wants NAT >= 80% of raw. The sender is
// pinned to CPU 0, everything else to CPU 1 (the gateway's work, and the
// receiver's softirq, which runs on the transmitting CPU; the receiver drops
// frames at ingress so that costs little). The three are measured in turn,
// five times for 1.5 s, and the best round of each is reported (with the
// rate the sender offered in it): other work on the machine only ever slows
// a round down. Kernel masquerade forwards in the softirq of the sender's
// veth transmit, so its figure is sender and NAT sharing CPU 0; when a
// forwarder's rate is close to the offered rate, the sender is the limit.
func BenchmarkForward64B(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to create network namespaces")
	}
	if runtime.NumCPU() >= 2 {
		pin(1)
		defer pin(0, 1)
	}
	bn := newBenchNet(b)
	bn.sink(b)
	l := bn.link()
	fail := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	var nat *NAT
	modes := []forwarder{
		{"raw", func() func() {
			fail(bn.gw.WriteSysctl("net/ipv4/ip_forward", "0"))
			fail(installIngress(l)) // the kernel kept out the same way the NAT keeps it out
			stop := rawForward(b, bn, nil)
			return func() { stop(); fail(removeIngress(l)) }
		}},
		{"nat", func() func() {
			nat = New(FullCone, Impairments{}).(*NAT)
			fail(nat.Start(l))
			nat.waitNeighbor(b, bn.router)
			return func() { fail(nat.Close()) }
		}},
		{"kernel", func() func() {
			fail(bn.gw.WriteSysctl("net/ipv4/ip_forward", "1"))
			m := &kernel.Masquerade{}
			fail(m.Start(l))
			return func() { fail(m.Close()) }
		}},
	}
	best, cost := map[string]round{}, map[string]float64{}
	for range 5 {
		for _, m := range modes {
			stop := m.start()
			r := bn.measure(b, 1500*time.Millisecond)
			stop()
			if r.got > best[m.name].got {
				best[m.name] = r
			}
			if c, ok := cost[m.name]; r.nsPerPkt > 0 && (!ok || r.nsPerPkt < c) {
				cost[m.name] = r.nsPerPkt
			}
		}
	}
	for i := 0; i < b.N; i++ {
	}
	raw, usr, kern := best["raw"].got, best["nat"].got, best["kernel"].got
	b.ReportMetric(raw, "raw-kpps")
	b.ReportMetric(usr, "nat-kpps")
	b.ReportMetric(kern, "kernel-kpps")
	b.ReportMetric(usr/raw, "nat/raw")
	b.ReportMetric(cost["raw"], "raw-ns/pkt")
	b.ReportMetric(cost["nat"], "nat-ns/pkt")
	b.ReportMetric(cost["raw"]/cost["nat"], "raw/nat-cost")
	b.ReportMetric(0, "ns/op")
	c := nat.Counters()
	b.Logf("raw %.0f kpps, userspace NAT %.0f kpps (%.0f%% of raw), kernel masquerade %.0f kpps; sender offered %.0f / %.0f / %.0f kpps in those rounds",
		raw, usr, 100*usr/raw, kern, best["raw"].offered, best["nat"].offered, best["kernel"].offered)
	b.Logf("gateway CPU per frame (lowest round): raw %.0f ns, userspace NAT %.0f ns (raw/NAT %.2f); last NAT run: LAN in %d, WAN out %d, drops %v",
		cost["raw"], cost["nat"], cost["raw"]/cost["nat"], c.LANIn, c.WANOut, c.Drops)
}

// waitNeighbor waits until the NAT has resolved ip on its WAN, so the first
// frames of a measurement are not dropped waiting for ARP.
func (g *NAT) waitNeighbor(tb testing.TB, ip netip.Addr) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		g.mu.Lock()
		e := g.ports[0].neigh[ip]
		known := e != nil && e.known
		g.mu.Unlock()
		if known {
			return
		}
	}
	tb.Fatalf("the NAT did not resolve %s", ip)
}
