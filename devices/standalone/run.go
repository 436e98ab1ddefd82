package standalone

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/journal"
	"github.com/boxlab/boxlab/sim/ns"
)

// Config is one standalone device.
type Config struct {
	Role    devices.Role
	Options any       // decoded by Options
	Where   Where     // from FromEnviron
	Out     io.Writer // journal lines (stdout)
	Dir     string    // the device's OutDir (the working directory)
	Seed    uint64    // its Rand is seeded with Seed and the node name
	// NS is the namespace path; default /proc/self/ns/net, the one the
	// process was started in (the exec role starts it in its node's).
	NS string
	// FinishLimit bounds Finish and then Run's return once ctx ends (real
	// time); the exec role's stop_grace (2 s by default) must exceed twice it.
	FinishLimit time.Duration
}

// selfNS is the namespace the process runs in: the exec role starts it
// inside its node's namespace.
const selfNS = "/proc/self/ns/net"

// flushEvery is how often journal lines reach Out while the device runs.
const flushEvery = 200 * time.Millisecond

// Run runs the device in the process's namespace until ctx ends (SIGTERM,
// SIGINT) or the device returns. When ctx ends, a devices.Finisher is asked
// to Finish first, then Run's context is cancelled; both are bounded by
// FinishLimit. A device that ends the run (devices.ErrEndRun) or stops on
// its own returns nil; its error otherwise.
func Run(ctx context.Context, cfg Config) error {
	path := cfg.NS
	if path == "" {
		path = selfNS
	}
	self, err := ns.Open(path)
	if err != nil {
		return err
	}
	defer self.Close()
	w := cfg.Where
	var addrs []net.Addr
	if err := self.Do(func() (err error) { addrs, err = net.InterfaceAddrs(); return err }); err != nil {
		return fmt.Errorf("interface addresses: %w", err)
	}
	all := ownAddrs(w.Addr, GlobalAddrs(addrs))
	if len(all) == 0 {
		return fmt.Errorf("no address: set %s or give the namespace a global IPv4 address", EnvAddr)
	}
	node := w.Node
	if node == "" {
		node = cfg.Role.Name
	}
	public := w.Public
	if !public.IsValid() {
		public = all[0]
	}
	clk := clock.New(w.Speed)
	j := journal.New(cfg.Out, clk, nil)
	defer j.Flush()
	servers := map[string]netip.Addr{}
	for n, a := range w.Servers {
		servers[n] = a
	}
	env := &devices.Env{
		Node: node, NS: self, Addr: all[0], Addrs: all, Clock: clk, Log: j.Logger(node),
		Rand: rand.New(rand.NewPCG(seed(cfg.Seed, node), 1)), OutDir: cfg.Dir,
		Server:  func(name string) (netip.Addr, bool) { a, ok := servers[name]; return a, ok },
		Public:  func() netip.Addr { return public },
		Servers: servers, Truth: devices.NewTruth(),
	}
	dev, err := cfg.Role.New(cfg.Options)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Role.Name, err)
	}
	flushCtx, stopFlush := context.WithCancel(context.Background())
	defer stopFlush()
	go func() {
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-flushCtx.Done():
				return
			case <-t.C:
				j.Flush()
			}
		}
	}()

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan error, 1)
	env.Log.Info("device.start", "role", cfg.Role.Name, "speed", w.Speed)
	go func() { done <- dev.Run(runCtx, env) }()
	select {
	case err := <-done:
		return ended(env, cfg.Role.Name, err, false)
	case <-ctx.Done():
	}
	limit := cfg.FinishLimit
	if limit <= 0 {
		limit = time.Second
	}
	if f, ok := dev.(devices.Finisher); ok {
		fctx, fcancel := context.WithTimeout(context.Background(), limit)
		if err := f.Finish(fctx, env); err != nil {
			env.Log.Info("device.error", "role", cfg.Role.Name, "during", "finish", "err", err.Error())
		}
		fcancel()
	}
	cancel()
	select {
	case err := <-done:
		return ended(env, cfg.Role.Name, err, true)
	case <-time.After(limit):
		env.Log.Info("device.stuck", "role", cfg.Role.Name, "waited", limit)
		return fmt.Errorf("%s did not stop within %v", cfg.Role.Name, limit)
	}
}

// ended logs how Run returned and turns it into Run's result.
func ended(env *devices.Env, role string, err error, stopped bool) error {
	switch {
	case errors.Is(err, devices.ErrEndRun):
		env.Log.Info("device.end_run", "role", role)
		return nil
	case err != nil:
		env.Log.Info("device.error", "role", role, "err", err.Error())
		return fmt.Errorf("%s: %w", role, err)
	case stopped:
		env.Log.Info("device.stop", "role", role)
	default:
		env.Log.Info("device.exit", "role", role)
	}
	return nil
}

// ownAddrs puts addr (if valid) first, then the interface addresses
// without repeating it.
func ownAddrs(addr netip.Addr, ifaces []netip.Addr) []netip.Addr {
	var out []netip.Addr
	if addr.IsValid() {
		out = append(out, addr)
	}
	for _, a := range ifaces {
		if a != addr {
			out = append(out, a)
		}
	}
	return out
}

// seed mixes the given seed with the node's name, like the runner does, so
// two nodes running the same role draw different jitter.
func seed(s uint64, node string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(node))
	return h.Sum64() ^ s
}

func sortedNames(m map[string]netip.Addr) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
