package userspace

import (
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/sim/ns"
)

// TestManyIdleGateways starts 500 userspace gateways (one namespace each,
// WAN and LAN a veth pair) and checks issue 3's scale promise: the OS thread
// count stays bounded (sockets wait on the netpoller, not on threads) and
// idle gateways cost almost no CPU.
func TestManyIdleGateways(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if testing.Short() {
		t.Skip("builds 500 namespaces")
	}
	const n = 500
	threads0 := threads()
	var ms0 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	var gws []nat.Gateway
	for i := 0; i < n; i++ {
		nsh, err := ns.Create("", noIPv6)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nsh.Close() })
		h, err := nsh.Netlink()
		if err != nil {
			t.Fatal(err)
		}
		if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "wan0"}, PeerName: "lan0"}); err != nil {
			t.Fatal(err)
		}
		wan, lan := netip.MustParsePrefix("198.18.0.1/24"), netip.MustParsePrefix("192.168.1.1/24")
		up(t, h, "wan0", wan)
		up(t, h, "lan0", lan)
		h.Close()
		g := New(FullCone, Impairments{})
		if err := g.Start(nat.Link{NS: nsh, Node: "idle", WAN: "wan0", WANAddr: wan, Router: netip.MustParseAddr("198.18.0.254"),
			LANs: []nat.LAN{{Iface: "lan0", Addr: lan}}, Speed: 1, Sysctl: nsh.WriteSysctls}); err != nil {
			t.Fatal(err)
		}
		gws = append(gws, g)
	}
	defer func() {
		for _, g := range gws {
			g.Close()
		}
	}()
	time.Sleep(2 * time.Second) // router ARP requests go out and fail; then idle
	runtime.GC()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	var ru0, ru1 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	const idle = 3 * time.Second
	time.Sleep(idle)
	unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	th := threads()
	perGW := (int64(ms1.HeapInuse) + int64(ms1.StackInuse) - int64(ms0.HeapInuse) - int64(ms0.StackInuse)) / n
	t.Logf("%d idle gateways: %d OS threads (%d before), CPU %.2f%% of one core, Go memory %d KiB per gateway",
		n, th, threads0, 100*cpu.Seconds()/idle.Seconds(), perGW/1024)
	if th > threads0+40 {
		t.Errorf("%d gateways took %d OS threads: sockets must wait on the netpoller", n, th-threads0)
	}
	if cpu > idle/10 {
		t.Errorf("idle gateways used %v CPU in %v", cpu, idle)
	}
}

func threads() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			var n int
			for _, c := range strings.TrimSpace(v) {
				n = n*10 + int(c-'0')
			}
			return n
		}
	}
	return 0
}
