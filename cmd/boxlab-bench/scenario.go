package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// phaseMeter is a runner.Progress that notes the wall time and process CPU
// at each phase boundary, so the load figures cover the run phase alone and
// not the namespace build or teardown.
type phaseMeter struct {
	mu     sync.Mutex
	cur    string
	start  time.Time
	cpu0   time.Duration
	kids0  time.Duration
	phases []phase
}

type phase struct {
	name string
	wall time.Duration
	cpu  time.Duration
	kids time.Duration // CPU of child processes (exec nodes, namespace holder)
}

func (m *phaseMeter) Phase(name string, _ int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closeLocked()
	m.cur, m.start, m.cpu0, m.kids0 = name, time.Now(), processCPU(), childrenCPU()
}

func (m *phaseMeter) Step(int) {}

func (m *phaseMeter) Done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closeLocked()
}

func (m *phaseMeter) closeLocked() {
	if m.cur == "" {
		return
	}
	m.phases = append(m.phases, phase{name: m.cur, wall: time.Since(m.start), cpu: processCPU() - m.cpu0, kids: childrenCPU() - m.kids0})
	m.cur = ""
}

func (m *phaseMeter) get(name string) (phase, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.phases {
		if p.name == name {
			return p, true
		}
	}
	return phase{}, false
}

// peaks samples kernel memory, process RSS and OS threads once a second
// while a scenario runs and keeps the largest values.
type peaks struct {
	mu                sync.Mutex
	kernel, process   int64
	threads, files    int
	kinds             map[string]int // descriptors by kind when files peaked
	kindsAt           int
	kernel0, process0 int64
	kids              map[string]child // by command: peak files and RSS, last CPU
	stop              chan struct{}
	done              chan struct{}
}

func startPeaks() *peaks {
	p := &peaks{kernel0: kernelUsed(), process0: processRSS(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				k, r, th, fd := kernelUsed()-p.kernel0, processRSS()-p.process0, processThreads(), openFiles()
				p.mu.Lock()
				p.kernel, p.process, p.threads, p.files = max(p.kernel, k), max(p.process, r), max(p.threads, th), max(p.files, fd)
				again := fd > p.kindsAt+p.kindsAt/50 // a new peak 2% above the last breakdown
				p.mu.Unlock()
				p.sampleChildren()
				if again {
					kinds := fdKinds()
					p.mu.Lock()
					p.kinds, p.kindsAt = kinds, fd
					p.mu.Unlock()
				}
			}
		}
	}()
	return p
}

// sampleChildren keeps each child's peak descriptors and RSS and its latest
// CPU, keyed by command (a namespace holder and an exec node's program).
func (p *peaks) sampleChildren() {
	now := children()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kids == nil {
		p.kids = map[string]child{}
	}
	for _, c := range now {
		k := strconv.Itoa(c.pid) + " " + c.command
		old := p.kids[k]
		c.files, c.rss = max(c.files, old.files), max(c.rss, old.rss)
		p.kids[k] = c
	}
}

func (p *peaks) children() []child {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]child, 0, len(p.kids))
	for _, c := range p.kids {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b child) int { return a.pid - b.pid })
	return out
}

func (p *peaks) end() (kernel, process int64, threads, files int, kinds map[string]int) {
	close(p.stop)
	<-p.done
	return p.kernel, p.process, p.threads, p.files, p.kinds
}

// openFiles counts this process's open descriptors.
func openFiles() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}

// benchScenario runs one scenario file in this process, as `boxlab run`
// does, and prints what a load test needs: the phases' wall time and CPU,
// peak memory per box, OS threads, the assertions and the event rates.
func benchScenario(ctx context.Context, path, outRoot string, show *regexp.Regexp, holder string) (bool, error) {
	cat, err := runner.DefaultCatalog()
	if err != nil {
		return false, err
	}
	s, err := scenario.Load(path, cat)
	if err != nil {
		return false, err
	}
	plan, err := topology.NewPlan(s)
	if err != nil {
		return false, err
	}
	boxes := plan.Count(topology.Gateway) + plan.Count(topology.Device)
	settle()
	runtime.GC()
	meter := &phaseMeter{}
	pk := startPeaks()
	out := filepath.Join(outRoot, s.Name)
	rep, runErr := runner.Run(ctx, runner.Config{Scenario: s, Catalog: cat, OutDir: out, Progress: meter, Holder: holder})
	kernel, process, threads, files, kinds := pk.end()
	if _, err := reports.WriteAll(out, rep); err != nil {
		return false, err
	}
	fmt.Printf("\nscenario %s (%s): %d boxes, %d namespaces, speed %g, %v simulated\n", s.Name, path, boxes, len(plan.Nodes), rep.Speed, time.Duration(rep.SimDuration))
	for _, name := range []string{"build", "run", "teardown"} {
		if p, ok := meter.get(name); ok {
			fmt.Printf("  %-9s wall %-10s CPU %-10s = %.2f cores; child processes CPU %s = %.2f cores\n", name, p.wall.Round(time.Millisecond),
				p.cpu.Round(time.Millisecond), p.cpu.Seconds()/p.wall.Seconds(), p.kids.Round(time.Millisecond), p.kids.Seconds()/p.wall.Seconds())
		}
	}
	fmt.Printf("  peak memory: kernel %s, process %s (%s + %s per box); peak OS threads %d; peak open files %d\n",
		kib(kernel), kib(process), kib(kernel/int64(boxes)), kib(process/int64(boxes)), threads, files)
	for _, c := range pk.children() {
		fmt.Printf("  child %d (%s): CPU %s at its last sample, peak RSS %s, peak open files %d\n", c.pid, c.command, c.cpu.Round(time.Millisecond), kib(c.rss), c.files)
	}
	if len(kinds) > 0 {
		fmt.Printf("  open descriptors by kind near their peak:\n")
		printKinds(kinds, boxes)
	}
	run, _ := meter.get("run")
	sim := time.Duration(rep.SimDuration).Seconds()
	fmt.Printf("  %-44s %10s %12s %12s %12s %12s\n", "metric", "count", "per sim s", "per real s", "p50", "p95")
	for _, m := range rep.Metrics {
		if !show.MatchString(m.Name) {
			continue
		}
		fmt.Printf("  %-44s %10d %12s %12s %12s %12s\n", m.Name, m.Count, rate(float64(m.Count), sim), rate(float64(m.Count), run.wall.Seconds()), num(m.P50), num(m.P95))
	}
	printExecMetrics(out, show, rep.Speed)
	for _, a := range rep.Assertions {
		verdict := "PASS"
		if !a.Pass {
			verdict = "FAIL"
		}
		fmt.Printf("  %s %-30s %s (measured %s)\n", verdict, a.Name, a.Expected, a.Measured)
	}
	if runErr != nil {
		fmt.Printf("  run error: %v\n", runErr)
	}
	fmt.Printf("  report: %s\n", filepath.Join(out, "report.html"))
	return runErr == nil && rep.Passed(), nil
}

func rate(n, secs float64) string {
	if secs <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", n/secs)
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}

// scenarioMode runs every listed scenario and returns the exit code: 1 when
// one failed, 2 when one could not run.
func scenarioMode(ctx context.Context, list, outRoot string, show *regexp.Regexp, holder string) int {
	ok := true
	for _, path := range strings.Split(list, ",") {
		passed, err := benchScenario(ctx, strings.TrimSpace(path), outRoot, show, holder)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			return 2
		}
		ok = ok && passed
	}
	if !ok {
		return 1
	}
	return 0
}
