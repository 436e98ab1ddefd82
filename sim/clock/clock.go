// Package clock is simulated time with a speed factor: a scenario of hours
// runs in minutes when every simulated timer reads this clock. It wraps the
// real monotonic clock; it does not step time by itself (no fake clock in the
// product path), so sockets, the kernel and devices all share one timeline.
package clock

import (
	"context"
	"time"
)

// Clock converts between simulated and real time. Simulated time starts at 0
// when the clock is made and runs Speed times faster than real time.
type Clock struct {
	start time.Time
	speed float64
}

// New returns a clock started now. speed <= 0 is taken as 1.
func New(speed float64) *Clock {
	return NewAt(time.Now(), speed)
}

// NewAt returns a clock whose simulated zero is start; for tests.
func NewAt(start time.Time, speed float64) *Clock {
	if speed <= 0 {
		speed = 1
	}
	return &Clock{start: start, speed: speed}
}

// Speed is simulated seconds per real second.
func (c *Clock) Speed() float64 { return c.speed }

// Start is the real instant of simulated time zero.
func (c *Clock) Start() time.Time { return c.start }

// Now is the simulated time elapsed since the start.
func (c *Clock) Now() time.Duration { return c.Sim(time.Since(c.start)) }

// At is the simulated time of the real instant t.
func (c *Clock) At(t time.Time) time.Duration { return c.Sim(t.Sub(c.start)) }

// Real converts a simulated span to the real span it takes.
func (c *Clock) Real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.speed)
}

// Sim converts a real span to simulated time.
func (c *Clock) Sim(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.speed)
}

// Sleep waits for the simulated span d or until ctx ends; it returns ctx.Err() then.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(c.Real(d))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// SleepUntil waits until simulated time at or until ctx ends.
func (c *Clock) SleepUntil(ctx context.Context, at time.Duration) error {
	return c.Sleep(ctx, at-c.Now())
}

// NewTicker ticks every simulated period d.
func (c *Clock) NewTicker(d time.Duration) *time.Ticker {
	r := c.Real(d)
	if r <= 0 {
		r = time.Nanosecond
	}
	return time.NewTicker(r)
}

// Deadline is the real instant a simulated span d from now ends, for socket deadlines.
func (c *Clock) Deadline(d time.Duration) time.Time {
	return time.Now().Add(c.Real(d))
}
