// Command boxlab-bench measures the topology engine at scale: it builds and
// tears down topologies of N homes (a NAT gateway and 3 devices each, one
// namespace per box) and prints create time, teardown time and kernel +
// process memory per box. As a baseline in the same run it builds the same
// 100-home topology the way script-driven testbeds do, one iproute2 process
// per command with a bridge per home, and prints the ratios. Needs root.
// Benchmark only: the product never runs ip.
//
// With -scenario it runs load-test scenario files instead, in this process as
// `boxlab run` would, and prints each phase's wall time and CPU, peak memory
// per box, OS threads, every metric's count and rate (per simulated and per
// real second) and the assertions.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

func main() {
	homesFlag := flag.String("homes", "100,1000,2500", "comma-separated home counts")
	devs := flag.Int("devices", 3, "devices per home")
	baseline := flag.Int("baseline", 100, "homes in the iproute2 baseline (0 = skip)")
	profile := flag.String("nat", "linux", "NAT profile of every gateway (e.g. full-cone for the userspace NAT)")
	scenarios := flag.String("scenario", "", "comma-separated scenario files to run as load tests instead of the topology figures")
	out := flag.String("out", "out/bench", "report folder of -scenario runs")
	metricsRE := flag.String("metrics", "", "regular expression: the metrics a -scenario run prints (default all)")
	cpuProfile := flag.String("cpuprofile", "", "-scenario runs: write a CPU profile of the whole run to this file")
	holder := flag.String("holder", runner.HolderAuto, "where namespace descriptors live: always = helper processes (sim/ns Holder); -scenario runs also take auto (when RLIMIT_NOFILE is too low) and never")
	flag.Parse()
	if os.Geteuid() != 0 {
		log.Fatal("boxlab-bench needs root")
	}
	if *scenarios != "" {
		show, err := regexp.Compile(*metricsRE)
		if err != nil {
			log.Fatalf("bad -metrics: %v", err)
		}
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				log.Fatal(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				log.Fatal(err)
			}
		}
		code := scenarioMode(context.Background(), *scenarios, *out, show, *holder)
		pprof.StopCPUProfile()
		os.Exit(code)
	}
	var counts []int
	for _, f := range strings.Split(*homesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			log.Fatalf("bad -homes %q", f)
		}
		counts = append(counts, n)
	}
	fmt.Printf("NAT profile %s, namespace holder %s\n", *profile, *holder)
	fmt.Printf("%-7s %-7s %-10s %-10s %-10s %-12s %-12s %-12s %-8s %-10s\n", "homes", "boxes", "namespaces", "create", "teardown", "boxes/s", "kernel/box", "process/box", "threads", "idle CPU")
	results := map[int]result{}
	for _, n := range counts {
		r, err := measure(n, *devs, *profile, *holder == runner.HolderAlways)
		if err != nil {
			log.Fatalf("%d homes: %v", n, err)
		}
		results[n] = r
		fmt.Printf("%-7d %-7d %-10d %-10s %-10s %-12.0f %-12s %-12s %-8d %-10s\n", n, r.boxes, r.namespaces, r.create.Round(time.Millisecond),
			r.teardown.Round(time.Millisecond), float64(r.boxes)/r.create.Seconds(), kib(r.kernel/int64(r.boxes)), kib(r.process/int64(r.boxes)),
			r.threads, fmt.Sprintf("%.2f%%", r.idleCPU*100))
	}
	if *baseline > 0 {
		ours, ok := results[*baseline]
		if !ok {
			var err error
			if ours, err = measure(*baseline, *devs, "linux", false); err != nil {
				log.Fatal(err)
			}
		}
		settle()
		create, teardown, err := iproute2(*baseline, *devs)
		if err != nil {
			log.Fatalf("baseline: %v", err)
		}
		fmt.Printf("\nbaseline: iproute2, one process per command, %d homes x %d devices\n", *baseline, *devs)
		fmt.Printf("  create   %-10s boxlab %-10s ratio %.1fx faster\n", create.Round(time.Millisecond), ours.create.Round(time.Millisecond), create.Seconds()/ours.create.Seconds())
		fmt.Printf("  teardown %-10s boxlab %-10s ratio %.1fx faster\n", teardown.Round(time.Millisecond), ours.teardown.Round(time.Millisecond), teardown.Seconds()/ours.teardown.Seconds())
	}
}

type result struct {
	boxes, namespaces int
	threads           int     // OS threads of the process with the topology up
	idleCPU           float64 // share of one core the process used over 5 idle seconds
	create, teardown  time.Duration
	kernel, process   int64 // bytes
}

func measure(homes, devs int, profile string, holder bool) (result, error) {
	cat, err := runner.DefaultCatalog()
	if err != nil {
		return result{}, err
	}
	src := fmt.Sprintf(`
name: bench
duration: 1m
topology:
  servers: [{name: srv, role: udp-echo}]
  homes: [{count: %d, nat: %s, devices: [{name: box, role: udp-echo, count: %d}]}]
`, homes, profile, devs)
	s, err := scenario.Parse("bench.yaml", []byte(src), cat)
	if err != nil {
		return result{}, err
	}
	plan, err := topology.NewPlan(s)
	if err != nil {
		return result{}, err
	}
	if err := ns.RaiseNeighbourLimits(slog.Default(), 4*len(plan.Nodes)+1024); err != nil {
		return result{}, err
	}
	settle()
	runtime.GC()
	k0, p0 := kernelUsed(), processRSS()
	start := time.Now()
	topo, err := topology.Build(context.Background(), plan, topology.Options{Speed: 1, Profiles: cat.NAT, Holder: holder})
	if err != nil {
		return result{}, err
	}
	create := time.Since(start)
	runtime.GC()
	k1, p1 := kernelUsed(), processRSS()
	cpu0 := processCPU()
	time.Sleep(5 * time.Second)
	idle := (processCPU() - cpu0).Seconds() / 5
	threads := processThreads()
	teardown, err := topo.Close()
	if err != nil {
		return result{}, err
	}
	boxes := plan.Count(topology.Gateway) + plan.Count(topology.Device)
	return result{boxes: boxes, namespaces: len(plan.Nodes), create: create, teardown: teardown, kernel: k1 - k0, process: p1 - p0,
		threads: threads, idleCPU: idle}, nil
}

// settle waits until the kernel has finished destroying earlier namespaces
// (kernel memory stops falling), so one measurement does not pay for the last.
func settle() {
	prev := kernelUsed()
	for i := 0; i < 120; i++ {
		time.Sleep(500 * time.Millisecond)
		cur := kernelUsed()
		if prev-cur < 1<<20 {
			return
		}
		prev = cur
	}
}

// kernelUsed is slab + page tables + kernel stacks from /proc/meminfo, bytes.
func kernelUsed() int64 {
	m := meminfo()
	return (m["Slab"] + m["KernelStack"] + m["PageTables"] + m["Percpu"]) * 1024
}

func meminfo() map[string]int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		out[k] = n
	}
	return out
}

func processRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n * 1024
		}
	}
	return 0
}

// processCPU is the user+system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func processThreads() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func kib(b int64) string { return fmt.Sprintf("%d KiB", b/1024) }

// iproute2 builds the same shape with one `ip` process per step.
func iproute2(homes, devs int) (time.Duration, time.Duration, error) {
	if _, err := exec.LookPath("ip"); err != nil {
		return 0, 0, fmt.Errorf("ip not found: %w", err)
	}
	var names []string
	ip := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	addNS := func(name string) error {
		names = append(names, name)
		return ip("netns", "add", name)
	}
	in := func(name string, args ...string) error { return ip(append([]string{"-n", name}, args...)...) }
	cleanup := func() {
		for _, n := range names {
			exec.Command("ip", "netns", "del", n).Run()
		}
	}
	start := time.Now()
	err := func() error {
		core := "blbase-core"
		if err := addNS(core); err != nil {
			return err
		}
		for _, c := range [][]string{{"link", "add", "br0", "type", "bridge"}, {"addr", "add", "198.18.0.1/21", "dev", "br0"}, {"link", "set", "br0", "up"}} {
			if err := in(core, c...); err != nil {
				return err
			}
		}
		for h := 0; h < homes; h++ {
			gw := fmt.Sprintf("blbase-h%d", h)
			if err := addNS(gw); err != nil {
				return err
			}
			wan := fmt.Sprintf("198.18.%d.%d/21", (h+2)/256, (h+2)%256)
			for _, c := range [][]string{
				{"link", "add", fmt.Sprintf("g%d", h), "master", "br0", "up", "type", "veth", "peer", "wan0", "netns", gw},
			} {
				if err := in(core, c...); err != nil {
					return err
				}
			}
			for _, c := range [][]string{{"link", "set", "wan0", "up"}, {"addr", "add", wan, "dev", "wan0"}, {"route", "add", "default", "via", "198.18.0.1"},
				{"link", "add", "lan0", "type", "bridge"}, {"addr", "add", "192.168.1.1/24", "dev", "lan0"}, {"link", "set", "lan0", "up"}} {
				if err := in(gw, c...); err != nil {
					return err
				}
			}
			for d := 0; d < devs; d++ {
				dn := fmt.Sprintf("blbase-h%dd%d", h, d)
				if err := addNS(dn); err != nil {
					return err
				}
				if err := in(gw, "link", "add", fmt.Sprintf("d%d", d), "master", "lan0", "up", "type", "veth", "peer", "eth0", "netns", dn); err != nil {
					return err
				}
				for _, c := range [][]string{{"link", "set", "eth0", "up"}, {"addr", "add", fmt.Sprintf("192.168.1.%d/24", 100+d), "dev", "eth0"}, {"route", "add", "default", "via", "192.168.1.1"}} {
					if err := in(dn, c...); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}()
	create := time.Since(start)
	if err != nil {
		cleanup()
		return 0, 0, err
	}
	// Teardown as boxlab measures it: until the homes' links are gone from the core.
	settle()
	start = time.Now()
	for _, n := range names[1:] {
		exec.Command("ip", "netns", "del", n).Run()
	}
	for i := 0; i < 6000; i++ {
		out, _ := exec.Command("ip", "-n", names[0], "-o", "link").Output()
		if strings.Count(string(out), "\n") <= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	exec.Command("ip", "netns", "del", names[0]).Run()
	return create, time.Since(start), nil
}
