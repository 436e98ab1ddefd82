package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/metrics"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// defaultRebootDown is how long a rebooting gateway forwards nothing when the
// event gives no `for`.
const defaultRebootDown = time.Second

// playTimeline starts one goroutine per timeline event; each sleeps on the
// simulated clock until its time, applies the fault and, with `for`, reverts it.
func (r *run) playTimeline(ctx context.Context, wg *sync.WaitGroup) {
	r.rep.Timeline = make([]reports.TimelineEntry, len(r.s.Timeline))
	for i, ev := range r.s.Timeline {
		r.rep.Timeline[i] = reports.TimelineEntry{At: reports.Duration(ev.At), Do: ev.Do, On: ev.On.Src, For: reports.Duration(ev.For)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.clock.SleepUntil(ctx, time.Duration(ev.At)) != nil {
				return
			}
			rng := rand.New(rand.NewPCG(uint64(r.s.Seed), uint64(i)))
			nodes, err := r.topo.Plan.Select(ev.On, rng)
			if err == nil {
				err = r.apply(ctx, ev, nodes)
			}
			r.mu.Lock()
			r.rep.Timeline[i].Nodes = len(nodes)
			if err != nil {
				r.rep.Timeline[i].Error = err.Error()
			}
			r.mu.Unlock()
			if err != nil {
				r.log.Error("fault.error", "do", ev.Do, "on", ev.On.Src, "err", err.Error())
			}
		}()
	}
}

func (r *run) apply(ctx context.Context, ev scenario.Event, nodes []*topology.Node) error {
	live := make([]*topology.Live, 0, len(nodes))
	for _, n := range nodes {
		live = append(live, r.topo.Node(n.Name))
	}
	name := ev.Name
	if name == "" {
		name = ev.Do
	}
	var do, undo func(*topology.Live) error
	hold := time.Duration(ev.For)
	switch ev.Do {
	case scenario.LinkDown:
		do = func(n *topology.Live) error { return r.topo.SetLink(n, ev.Link, false) }
		undo = func(n *topology.Live) error { return r.topo.SetLink(n, ev.Link, true) }
	case scenario.LinkUp:
		do = func(n *topology.Live) error { return r.topo.SetLink(n, ev.Link, true) }
	case scenario.GatewayReboot:
		if hold == 0 {
			hold = defaultRebootDown
		}
		// The gateway's own role (an IGD daemon) goes down and starts
		// afresh with it, as a rebooted router's daemons do.
		do = func(n *topology.Live) error {
			if p := r.procs[n.Name]; p != nil {
				p.stop(stopLimit)
			}
			return r.topo.RebootDown(n)
		}
		undo = func(n *topology.Live) error {
			err := r.topo.RebootUp(n)
			if p := r.procs[n.Name]; p != nil {
				p.start(ctx)
			}
			return err
		}
	case scenario.WANChange:
		do = func(n *topology.Live) error {
			p, err := r.topo.ChangeWAN(n)
			if err == nil {
				r.log.Info("wan.changed", "node", n.Name, "addr", p.String())
			}
			return err
		}
	case scenario.DeviceCrash:
		do = func(n *topology.Live) error { return r.eachProc(n, func(p *proc) { p.stop(stopLimit) }) }
		undo = func(n *topology.Live) error { return r.eachProc(n, func(p *proc) { p.start(ctx) }) }
	case scenario.RoleStop:
		role := func(n *topology.Live) (*proc, error) {
			if p := r.procs[n.Name]; p != nil {
				return p, nil
			}
			return nil, fmt.Errorf("%s runs no gateway role", n.Name)
		}
		do = func(n *topology.Live) error {
			p, err := role(n)
			if err == nil {
				p.stop(stopLimit)
			}
			return err
		}
		undo = func(n *topology.Live) error {
			p, err := role(n)
			if err == nil {
				p.start(ctx)
			}
			return err
		}
	case scenario.DeviceRestart:
		do = func(n *topology.Live) error { return r.eachProc(n, func(p *proc) { p.start(ctx) }) }
	default:
		return fmt.Errorf("unknown fault %q", ev.Do)
	}
	errs := each(live, do)
	// The window starts when the fault took effect, not when it was due:
	// netlink calls wait for the kernel's rtnl lock on a busy host.
	at := r.clock.Now()
	r.log.Info("fault.start", "do", ev.Do, "on", ev.On.Src, "name", name, "nodes", len(live), "late", at-time.Duration(ev.At))
	end := at
	switch {
	case undo != nil && hold > 0:
		end = at + hold
		if r.clock.Sleep(ctx, hold) == nil {
			errs = errors.Join(errs, each(live, undo))
			end = r.clock.Now()
			r.log.Info("fault.end", "do", ev.Do, "on", ev.On.Src, "name", name)
		}
	case undo != nil:
		end = time.Duration(r.s.Duration) // lasts until the end (or a later event reverts it)
	}
	r.mu.Lock()
	r.faults = append(r.faults, metrics.Interval{Name: name, From: at, To: end})
	r.mu.Unlock()
	return errs
}

// eachProc applies f to the device procs of n: the node itself if it runs a
// device, or every device of a gateway's home.
func (r *run) eachProc(n *topology.Live, f func(*proc)) error {
	if p := r.procs[n.Name]; p != nil {
		f(p)
		return nil
	}
	found := false
	for _, d := range r.topo.Plan.Homes {
		if d.Gateway.Name != n.Name {
			continue
		}
		for _, dev := range d.Devices {
			if p := r.procs[dev.Name]; p != nil {
				f(p)
				found = true
			}
		}
	}
	if !found {
		return fmt.Errorf("%s runs no device", n.Name)
	}
	return nil
}

func each(nodes []*topology.Live, f func(*topology.Live) error) error {
	var errs []error
	for _, n := range nodes {
		if err := f(n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
