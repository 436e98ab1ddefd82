package runner

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
)

// proc supervises one device: start runs a fresh Device, stop cancels it and
// waits. A crash fault is stop; a restart is start.
type proc struct {
	endRun  func() // called when the device returns devices.ErrEndRun
	role    devices.Role
	opts    any
	env     devices.Env
	seed    uint64
	server  bool // a server node: finished after every other device
	mu      sync.Mutex
	dev     devices.Device // the running Device, for Finish
	runEnv  *devices.Env   // the Env its Run got
	cancel  context.CancelFunc
	done    chan struct{}
	starts  uint64
	running bool
}

func nodeSeed(seed int64, node string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(node))
	return h.Sum64() ^ uint64(seed)
}

func (p *proc) start(parent context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return
	}
	dev, err := p.role.New(p.opts)
	if err != nil {
		p.env.Log.Info("device.error", "err", err.Error())
		return
	}
	ctx, cancel := context.WithCancel(parent)
	p.cancel, p.done, p.running = cancel, make(chan struct{}), true
	p.starts++
	env := p.env
	env.Rand = rand.New(rand.NewPCG(p.seed, p.starts))
	p.dev, p.runEnv = dev, &env
	done := p.done
	env.Log.Info("device.start", "role", p.role.Name)
	go func() {
		defer close(done)
		err := dev.Run(ctx, &env)
		switch {
		case errors.Is(err, devices.ErrEndRun):
			env.Log.Info("device.end_run", "role", p.role.Name)
			if p.endRun != nil {
				p.endRun()
			}
		case err != nil:
			env.Log.Info("device.error", "role", p.role.Name, "err", err.Error())
		case ctx.Err() == nil:
			env.Log.Info("device.exit", "role", p.role.Name)
		}
		p.mu.Lock()
		if p.done == done {
			p.running = false
		}
		p.mu.Unlock()
	}()
}

// stop cancels the device and waits up to limit for it to return.
func (p *proc) stop(limit time.Duration) bool {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.running = false
	p.mu.Unlock()
	if cancel == nil {
		return true
	}
	cancel()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		p.env.Log.Info("device.stuck", "role", p.role.Name, "waited", limit)
		return false
	}
}

// finish calls Finish on the running device if it is a devices.Finisher.
// What Finish logs is stamped at the real instant at (the scenario's end),
// so its events fall inside the run's [0, duration] assertion window.
func (p *proc) finish(ctx context.Context, at time.Time) {
	p.mu.Lock()
	dev, env, running := p.dev, p.runEnv, p.running
	p.mu.Unlock()
	f, ok := dev.(devices.Finisher)
	if !running || !ok {
		return
	}
	fenv := *env
	fenv.Log = slog.New(stampAt{h: env.Log.Handler(), at: at})
	if err := f.Finish(ctx, &fenv); err != nil {
		fenv.Log.Info("device.error", "role", p.role.Name, "during", "finish", "err", err.Error())
	}
}

// stampAt is a slog handler that dates every record at one instant.
type stampAt struct {
	h  slog.Handler
	at time.Time
}

func (s stampAt) Enabled(ctx context.Context, l slog.Level) bool { return s.h.Enabled(ctx, l) }
func (s stampAt) WithAttrs(as []slog.Attr) slog.Handler {
	return stampAt{h: s.h.WithAttrs(as), at: s.at}
}
func (s stampAt) WithGroup(g string) slog.Handler { return stampAt{h: s.h.WithGroup(g), at: s.at} }
func (s stampAt) Handle(ctx context.Context, r slog.Record) error {
	r.Time = s.at
	return s.h.Handle(ctx, r)
}

// finishAll finishes every running Finisher within limit (real time): all
// non-server devices concurrently, then all servers concurrently, so a
// server sees its clients' last messages before it finishes.
func finishAll(ctx context.Context, procs map[string]*proc, limit time.Duration, at time.Time) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for _, servers := range []bool{false, true} {
		var wg sync.WaitGroup
		for _, p := range procs {
			if p.server != servers {
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.finish(ctx, at) }()
		}
		wg.Wait()
	}
}
