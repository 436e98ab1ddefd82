// Package runner runs one scenario end to end: plan and build the topology,
// start every device, play the timeline of faults on the simulated clock,
// stop, tear down, then compute metrics from the event journal, evaluate the
// assertions and fill in the report. It is the only place that knows every
// piece; each piece knows nothing of it.
package runner

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/assert"
	"github.com/boxlab/boxlab/sim/capture"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/journal"
	"github.com/boxlab/boxlab/sim/metrics"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// Config is one run's settings.
type Config struct {
	Scenario *scenario.Scenario
	Catalog  *Catalog
	OutDir   string       // report folder; created
	Keep     bool         // name namespaces bl-<run>-<node> and leave them after the run
	Captures []string     // NODE or NODE:IFACE to capture into pcap files
	Console  slog.Handler // engine events for a person; nil = none
	Verbose  bool         // device events to the console too
	Progress Progress     // progress display; nil = none
	RunID    string       // default: random
	// Holder says where namespace descriptors live: HolderAuto (default)
	// moves them to helper processes when RLIMIT_NOFILE is too low for the
	// topology, HolderAlways and HolderNever force a side.
	Holder string
}

// Holder modes (Config.Holder).
const (
	HolderAuto   = "auto"
	HolderAlways = "always"
	HolderNever  = "never"
)

// descriptorsPerNode is what RLIMIT_NOFILE is raised to per node (+4096):
// its namespace and a few sockets, with room. Below it the namespaces go
// to a holder (auto).
const descriptorsPerNode = 16

// Progress shows the phases of a run to a person.
type Progress interface {
	Phase(name string, total int) // start a phase of total steps (0 = unknown)
	Step(n int)                   // n more steps done
	Done()                        // the phase ended
}

// devices stop within this real time or are reported stuck.
const stopLimit = 5 * time.Second

// finishLimit bounds the real time devices.Finisher calls take at the end.
const finishLimit = 30 * time.Second

// Run runs the scenario. It always returns a report (partial on error); the
// error is a setup or run failure, not a failed assertion.
func Run(ctx context.Context, cfg Config) (*reports.Run, error) {
	s := cfg.Scenario
	if cfg.RunID == "" {
		cfg.RunID = newRunID()
	}
	if cfg.Progress == nil {
		cfg.Progress = noProgress{}
	}
	rep := &reports.Run{Scenario: s.Name, File: s.File, Description: s.Description, RunID: cfg.RunID,
		Started: time.Now(), SimDuration: reports.Duration(s.Duration), Speed: s.Speed}
	r := &run{cfg: cfg, s: s, rep: rep, procs: map[string]*proc{}, store: metrics.NewStore(), ended: make(chan struct{})}
	err := r.run(ctx)
	rep.Wall = reports.Duration(time.Since(rep.Started))
	if err != nil {
		rep.Error = err.Error()
	}
	return rep, err
}

type run struct {
	cfg     Config
	s       *scenario.Scenario
	rep     *reports.Run
	store   *metrics.Store
	journal *journal.Journal
	log     *slog.Logger
	topo    *topology.Topology
	holder  bool // namespaces held by helper processes (Config.Holder)
	clock   *clock.Clock
	procs   map[string]*proc

	mu     sync.Mutex
	faults []metrics.Interval

	ended   chan struct{} // closed when a device ends the run early
	end     time.Duration // simulated time the run ended
	endOnce sync.Once
}

func (r *run) run(ctx context.Context) (err error) {
	if err := os.MkdirAll(r.cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("report folder: %w", err)
	}
	evf, err := os.Create(filepath.Join(r.cfg.OutDir, "events.jsonl"))
	if err != nil {
		return fmt.Errorf("event journal: %w", err)
	}
	defer evf.Close()
	r.rep.Files = append(r.rep.Files, "events.jsonl")
	r.clock = clock.New(r.s.Speed)
	r.journal = journal.New(evf, r.clock, r.store)
	defer r.journal.Flush()
	console := r.cfg.Console
	if console == nil {
		console = slog.DiscardHandler
	}
	r.log = r.journal.LoggerTee("engine", console)

	if n, err := ns.Reap(); err != nil {
		r.log.Warn("reap.error", "err", err.Error())
	} else if n > 0 {
		r.log.Info("reap", "namespaces", n, "why", "left named by a run that no longer exists")
	}
	lock, err := ns.LockRun(r.cfg.RunID)
	if err != nil {
		return err
	}
	defer lock.Release()

	plan, err := topology.NewPlan(r.s)
	if err != nil {
		return fmt.Errorf("plan topology: %w", err)
	}
	r.summarize(plan)
	want := uint64(descriptorsPerNode*len(plan.Nodes) + 4096)
	if err := ns.RaiseFileLimit(r.log, want); err != nil {
		return err
	}
	if r.holder, err = r.useHolder(want); err != nil {
		return err
	}
	if n := len(plan.Nodes); n > 200 {
		// Each host needs about two neighbour entries; the table is global.
		if err := ns.RaiseNeighbourLimits(r.log, 4*n+1024); err != nil {
			return err
		}
	}
	if n := len(plan.Nodes); n > 2000 {
		// Every device's packets queue in one host-wide per-CPU backlog.
		if err := ns.RaiseNetdevBacklog(r.log, min(2*n, 1<<16)); err != nil {
			return err
		}
	}
	if err := r.build(ctx, plan); err != nil {
		return err
	}
	defer r.teardown()

	capCtx, stopCaptures := context.WithCancel(ctx)
	caps, err := r.startCaptures(capCtx)
	defer func() {
		stopCaptures()
		for name, c := range caps {
			n, cerr := c.Stop()
			r.log.Info("capture.done", "file", name, "frames", n)
			err = errors.Join(err, cerr)
		}
	}()
	if err != nil {
		return err
	}

	// Simulated time starts when the devices do.
	r.clock = clock.New(r.s.Speed)
	r.journal.SetClock(r.clock)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	r.startDevices(runCtx)
	r.log.Info("run.start", "duration", time.Duration(r.s.Duration), "speed", r.s.Speed, "real", r.clock.Real(time.Duration(r.s.Duration)))
	var tl sync.WaitGroup
	r.playTimeline(runCtx, &tl)
	r.waitEnd(runCtx)
	r.end = min(r.clock.Now(), time.Duration(r.s.Duration)) // a device may end the run early
	r.rep.SimDuration = reports.Duration(r.end)
	if ctx.Err() == nil {
		start := time.Now()
		// Finish events are dated just inside the end, so assertions see them.
		end := r.clock.Start().Add(r.clock.Real(time.Duration(r.s.Duration) - time.Millisecond))
		finishAll(runCtx, r.procs, finishLimit, end)
		r.log.Info("run.finish", "took", time.Since(start).Round(time.Millisecond))
	}
	interrupted := ctx.Err()
	stopRun()
	tl.Wait()
	r.stopDevices()
	r.dumpNAT()
	r.log.Info("run.end", "events", r.journal.Events())
	if interrupted != nil {
		return fmt.Errorf("run interrupted: %w", interrupted)
	}
	r.evaluate()
	return nil
}

func (r *run) summarize(p *topology.Plan) {
	t := &r.rep.Topology
	t.Namespaces = len(p.Nodes)
	t.Servers, t.ISPs, t.Gateways, t.Devices = p.Count(topology.Server), p.Count(topology.ISP), p.Count(topology.Gateway), p.Count(topology.Device)
	t.Homes = len(p.Homes)
	t.NAT = map[string]int{}
	for _, n := range p.Nodes {
		if n.Kind == topology.Gateway || n.Kind == topology.ISP {
			t.NAT[n.Profile]++
		}
	}
	for _, h := range p.Homes {
		if k := len(t.Groups); k > 0 && t.Groups[k-1].Name == h.Group {
			t.Groups[k-1].Homes++
			continue
		}
		t.Groups = append(t.Groups, reports.HomeGroup{Name: h.Group, NAT: h.Gateway.Profile, Homes: 1, NATOptions: h.Gateway.NATOpts != nil,
			ISP: h.Gateway.ISP})
	}
}

func (r *run) build(ctx context.Context, plan *topology.Plan) error {
	start := time.Now()
	r.cfg.Progress.Phase("build", len(plan.Nodes))
	topo, err := topology.Build(ctx, plan, topology.Options{
		RunID: r.cfg.RunID, Named: r.cfg.Keep, Speed: r.s.Speed, Profiles: r.cfg.Catalog.NAT, Log: r.log,
		Progress: func() { r.cfg.Progress.Step(1) }, Holder: r.holder,
	})
	r.cfg.Progress.Done()
	if err != nil {
		return fmt.Errorf("build topology: %w", err)
	}
	r.topo = topo
	r.rep.Topology.Build = reports.Duration(time.Since(start))
	r.log.Info("build.done", "namespaces", len(plan.Nodes), "took", time.Since(start).Round(time.Millisecond))
	if held, procs := topo.Held(); procs > 0 {
		r.log.Info("ns.holder", "namespaces", held, "processes", procs)
	}
	return nil
}

// useHolder decides Config.Holder: auto holds the namespaces in helper
// processes when the file limit is below want.
func (r *run) useHolder(want uint64) (bool, error) {
	switch r.cfg.Holder {
	case HolderAlways:
		return true, nil
	case HolderNever:
		return false, nil
	case "", HolderAuto:
	default:
		return false, fmt.Errorf("namespace holder %q: want %s, %s or %s", r.cfg.Holder, HolderAuto, HolderAlways, HolderNever)
	}
	limit, err := ns.FileLimit()
	if err != nil {
		return false, err
	}
	if limit >= want {
		return false, nil
	}
	r.log.Info("ns.holder", "file_limit", limit, "wanted", want,
		"why", "more namespaces than this process's descriptors leave room for: helper processes hold them")
	return true, nil
}

func (r *run) teardown() {
	if r.cfg.Keep {
		r.topo.Keep()
		r.log.Info("keep", "run", r.cfg.RunID, "namespaces", r.rep.Topology.Namespaces,
			"hint", "ip netns exec bl-"+r.cfg.RunID+"-NODE ...; boxlab clean removes them")
		return
	}
	r.cfg.Progress.Phase("teardown", 0)
	took, err := r.topo.Close()
	r.cfg.Progress.Done()
	r.rep.Topology.Teardown = reports.Duration(took)
	if err != nil {
		r.log.Error("teardown.error", "err", err.Error())
	}
	r.log.Info("teardown.done", "took", took.Round(time.Millisecond))
}

func (r *run) startCaptures(ctx context.Context) (map[string]*capture.Capture, error) {
	caps := map[string]*capture.Capture{}
	for _, spec := range r.cfg.Captures {
		node, iface, _ := strings.Cut(spec, ":")
		n := r.topo.Node(node)
		if n == nil {
			return caps, fmt.Errorf("--capture %s: no node %q", spec, node)
		}
		if iface == "" {
			iface = n.Uplink
		}
		name := fmt.Sprintf("%s-%s.pcap", node, iface)
		c, err := capture.Start(ctx, n.NS, iface, filepath.Join(r.cfg.OutDir, name))
		if err != nil {
			return caps, fmt.Errorf("--capture %s: %w", spec, err)
		}
		caps[name] = c
		r.rep.Files = append(r.rep.Files, name)
	}
	return caps, nil
}

func (r *run) startDevices(ctx context.Context) {
	servers := map[string]netip.Addr{}
	for name, n := range r.topo.Plan.Servers {
		servers[name] = n.Addr.Addr()
	}
	lookup := func(name string) (netip.Addr, bool) { a, ok := servers[name]; return a, ok }
	truth := devices.NewTruth()
	for _, n := range r.topo.Nodes() {
		if n.Role == "" {
			continue
		}
		role, ok := r.cfg.Catalog.Devices.Role(n.Role)
		if !ok {
			r.log.Error("device.unknown_role", "node", n.Name, "role", n.Role)
			continue
		}
		name := n.Name
		addrs := []netip.Addr{n.Addr().Addr()}
		for _, a := range n.Extra {
			addrs = append(addrs, a.Addr())
		}
		p := &proc{endRun: func() { r.endOnce.Do(func() { close(r.ended) }) }, role: role, opts: n.Options, seed: nodeSeed(r.s.Seed, name), server: n.Kind == topology.Server, env: devices.Env{
			Node: name, NS: n.NS, Addr: n.Addr().Addr(), Addrs: addrs, Clock: r.clock, Log: r.journal.Logger(name),
			OutDir: r.cfg.OutDir, Server: lookup, Servers: servers, Truth: truth,
			Public: func() netip.Addr { return r.topo.PublicAddr(name) },
		}}
		if n.Kind == topology.Gateway { // a gateway_role: the NAT is its port mapper
			p.env.PortMapper, _ = n.NAT.(nat.PortMapper)
			for _, seg := range n.Down {
				p.env.LAN = append(p.env.LAN, netip.PrefixFrom(seg.Addr, seg.Prefix.Bits()))
			}
		}
		if r.cfg.Verbose && r.cfg.Console != nil {
			p.env.Log = r.journal.LoggerTee(name, r.cfg.Console.WithAttrs([]slog.Attr{slog.String("node", name)}))
		}
		r.procs[name] = p
		p.start(ctx)
	}
}

// maxNATDump is the most NAT nodes whose mappings dumpNAT writes. A kernel
// NAT's dump is a conntrack dump of its namespace, and the kernel walks the
// host-wide conntrack hash for each (262,144 buckets here: ~10 ms of CPU a
// gateway, 25 s for 2,500 gateways after a 10,000-box run, for a file no
// assertion reads).
const maxNATDump = 1000

// dumpNAT writes every gateway's live mappings to nat-mappings.jsonl, one
// JSON object a line with the node's name, and records how many each had.
// Nodes are dumped in parallel (one at a time per CPU) and written in
// topology order; above maxNATDump NAT nodes nothing is dumped and
// nat.dump_skipped says why.
func (r *run) dumpNAT() {
	type dumped struct {
		node *topology.Live
		ms   []nat.Mapping
		err  error
	}
	var todo []*dumped
	for _, n := range r.topo.Nodes() {
		if _, ok := n.NAT.(nat.Dumper); ok {
			todo = append(todo, &dumped{node: n})
		}
	}
	if len(todo) > maxNATDump {
		r.log.Info("nat.dump_skipped", "nodes", len(todo), "limit", maxNATDump,
			"reason", "each kernel NAT dump walks the host-wide conntrack hash (~10 ms of CPU a gateway)")
		return
	}
	f, err := os.Create(filepath.Join(r.cfg.OutDir, "nat-mappings.jsonl"))
	if err != nil {
		r.log.Error("nat.dump_error", "err", err.Error())
		return
	}
	defer f.Close()
	next := make(chan *dumped)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Go(func() {
			for d := range next {
				d.ms, d.err = d.node.NAT.(nat.Dumper).Dump()
			}
		})
	}
	for _, d := range todo {
		next <- d
	}
	close(next)
	wg.Wait()
	w := bufio.NewWriter(f)
	defer w.Flush()
	enc := json.NewEncoder(w)
	for _, d := range todo {
		if d.err != nil {
			r.log.Error("nat.dump_error", "node", d.node.Name, "err", d.err.Error())
			continue
		}
		for _, m := range d.ms {
			enc.Encode(struct {
				Node string `json:"node"`
				nat.Mapping
			}{d.node.Name, m})
		}
		r.log.Debug("nat.dump", "node", d.node.Name, "mappings", float64(len(d.ms)))
	}
	r.rep.Files = append(r.rep.Files, "nat-mappings.jsonl")
}

func (r *run) stopDevices() {
	var wg sync.WaitGroup
	for _, p := range r.procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop(stopLimit) }()
	}
	wg.Wait()
}

func (r *run) waitEnd(ctx context.Context) {
	end := time.Duration(r.s.Duration)
	r.cfg.Progress.Phase("run", int(end/time.Second))
	defer r.cfg.Progress.Done()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	done := 0
	for {
		now := r.clock.Now()
		if s := int(min(now, end) / time.Second); s > done {
			r.cfg.Progress.Step(s - done)
			done = s
		}
		if now >= end {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-r.ended:
			r.log.Info("run.ended_early", "at", r.clock.Now())
			return
		case <-tick.C:
		}
	}
}

func (r *run) evaluate() {
	env := assert.Env{Metrics: r.store, Faults: r.faultIntervals(), End: r.end}
	for _, a := range r.s.Assertions {
		res := a.Expr.Eval(env)
		r.rep.Assertions = append(r.rep.Assertions, reports.AssertionResult{Name: a.Name, Expr: res.Expr,
			Expected: res.Expected, Measured: res.Measured, Pass: res.Pass, Detail: res.Detail})
		lvl := slog.LevelInfo
		if !res.Pass {
			lvl = slog.LevelWarn
		}
		r.log.Log(context.Background(), lvl, "assertion", "name", a.Name, "pass", res.Pass, "expected", res.Expected, "measured", res.Measured)
	}
	for _, m := range r.store.Summaries() {
		r.rep.Metrics = append(r.rep.Metrics, reports.MetricSummary{Name: m.Name, Count: m.Count, Sum: m.Sum,
			Min: m.Min, Max: m.Max, Mean: m.Mean, P50: m.P50, P95: m.P95, P99: m.P99})
	}
}

func (r *run) faultIntervals() []metrics.Interval {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]metrics.Interval(nil), r.faults...)
}

func newRunID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type noProgress struct{}

func (noProgress) Phase(string, int) {}
func (noProgress) Step(int)          {}
func (noProgress) Done()             {}
