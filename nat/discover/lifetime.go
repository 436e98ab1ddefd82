package discover

import (
	"context"
	"errors"
	"sync"
	"time"
)

// lifetime measures how long an idle UDP mapping keeps passing inbound
// packets (RFC 5780 §4.6). One trial: a fresh socket X binds (its last send
// starts the idle time), waits T of simulated time, then a second fresh
// socket Y asks the server to answer to X's mapped port with RESPONSE-PORT;
// the answer comes from the address X talked to, so only the mapping's
// life decides whether X receives it. Every trial uses fresh sockets, so no
// trial refreshes another's mapping.
//
// The search runs rounds of opts.Parallel trials at once: the first at
// geometric points up to MaxLifetime, the next ones evenly inside the
// bracket [longest alive, shortest dead]. A dead trial cancels the longer
// ones of its round. It stops when the bracket is within Precision of its
// lower end and reports its middle.
func (p *prober) lifetime(ctx context.Context) error {
	alive, err := p.trial(ctx, 0)
	if err != nil && !errors.Is(err, errNoAnswer) {
		return err
	}
	if !alive {
		p.note("mapping lifetime not measured: no answer through RESPONSE-PORT right after binding (server without RFC 5780 RESPONSE-PORT, or a NAT that gives the second socket another address)")
		return nil
	}
	lo, hi := time.Duration(0), p.opts.MaxLifetime
	points := make([]time.Duration, p.opts.Parallel)
	for i := range points {
		points[len(points)-1-i] = hi >> i
	}
	for stale := 0; ; {
		res, err := p.round(ctx, points)
		if err != nil {
			return err
		}
		oldLo, oldHi := lo, hi
		for t, ok := range res {
			if !ok && t < hi {
				hi = t
			}
		}
		for t, ok := range res {
			if ok && t > lo && t < hi {
				lo = t
			}
		}
		if lo == oldLo && hi == oldHi && !res[p.opts.MaxLifetime] {
			if stale++; stale == 3 {
				p.note("mapping lifetime search made no progress in 3 rounds; it lies in [%v, %v]", lo, hi)
				return nil
			}
		}
		if res[p.opts.MaxLifetime] && hi == p.opts.MaxLifetime {
			p.rep.MappingLifetimeAbove = p.opts.MaxLifetime
			return nil
		}
		if lo > 0 && float64(hi-lo) <= p.opts.Precision*float64(lo) {
			p.rep.MappingLifetime = (lo + hi) / 2
			return nil
		}
		if hi-lo < 2*time.Millisecond { // below what timers can tell apart
			p.rep.MappingLifetime = (lo + hi) / 2
			p.note("mapping lifetime shorter than the clock resolution")
			return nil
		}
		n := p.opts.Parallel
		points = points[:0]
		for i := 1; i <= n; i++ {
			points = append(points, lo+(hi-lo)*time.Duration(i)/time.Duration(n+1))
		}
	}
}

// round runs one trial per idle time at once. A dead trial cancels the
// longer ones; the result lacks them and the trials that could not bind.
func (p *prober) round(ctx context.Context, idle []time.Duration) (map[time.Duration]bool, error) {
	type job struct {
		t      time.Duration
		ctx    context.Context
		cancel context.CancelFunc
	}
	jobs := make([]job, len(idle))
	for i, t := range idle {
		c, cancel := context.WithCancel(ctx)
		jobs[i] = job{t, c, cancel}
		defer cancel()
	}
	var (
		mu   sync.Mutex
		res  = map[time.Duration]bool{}
		errs []error
		wg   sync.WaitGroup
	)
	for _, j := range jobs {
		wg.Go(func() {
			alive, err := p.trial(j.ctx, j.t)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				res[j.t] = alive
				if !alive {
					for _, k := range jobs {
						if k.t > j.t {
							k.cancel()
						}
					}
				}
			case errors.Is(err, errNoAnswer) || (errors.Is(err, context.Canceled) && ctx.Err() == nil):
				// no mapping to measure, or a shorter trial already died
			default:
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, errors.Join(errs...)
}

// trial binds a fresh socket, stays idle for the simulated span idle, then
// has the server answer to the mapping through RESPONSE-PORT from a second
// fresh socket. errNoAnswer means the binding itself failed.
func (p *prober) trial(ctx context.Context, idle time.Duration) (bool, error) {
	x, err := p.socket()
	if err != nil {
		return false, err
	}
	defer p.release(x)
	bind := &exchange{test: "lifetime bind", send: x, recv: x, to: p.server}
	_, o, err := p.run(ctx, bind)
	if err != nil {
		return false, err
	}
	if !o.Mapped.IsValid() {
		return false, errNoAnswer
	}
	wake := time.NewTimer(time.Until(bind.lastSend.Add(p.opts.Clock.Real(idle))))
	defer wake.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-wake.C:
	}
	y, err := p.socket()
	if err != nil {
		return false, err
	}
	defer p.release(y)
	_, _, err = p.run(ctx, &exchange{test: "lifetime probe", send: y, recv: x, to: p.server, respPort: o.Mapped.Port()})
	alive := err == nil
	if err != nil && !errors.Is(err, errNoAnswer) {
		return false, err
	}
	p.mu.Lock()
	p.rep.LifetimeTrials = append(p.rep.LifetimeTrials, LifetimeTrial{Idle: idle, Alive: alive})
	p.mu.Unlock()
	return alive, nil
}
