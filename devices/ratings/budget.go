package ratings

import "time"

// lineBudget is the rate limit of one control channel: a token bucket of
// burst lines refilled at rate lines per second of simulated time (the
// clock is passed in). An honest terminal sends a line per poll, vote or
// subscription change, far below it; a flood is dropped line by line
// (never acted on), and a channel that keeps flooding is closed.
type lineBudget struct {
	rate, burst float64
	tokens      float64
	last        time.Duration
	started     bool
	dropped     int  // lines dropped on this channel
	limited     bool // the last line was dropped (an episode of drops is logged once)
}

func newLineBudget(rate float64, burst int) *lineBudget {
	return &lineBudget{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes a token for a line that arrived at now; false drops it.
// episode is true for the first drop after an allowed line.
func (b *lineBudget) allow(now time.Duration) (ok, episode bool) {
	if b.started && now > b.last {
		b.tokens = min(b.burst, b.tokens+b.rate*(now-b.last).Seconds())
	}
	if !b.started || now > b.last {
		b.last, b.started = now, true
	}
	if b.tokens >= 1 {
		b.tokens--
		b.limited = false
		return true, false
	}
	b.dropped++
	episode = !b.limited
	b.limited = true
	return false, episode
}
