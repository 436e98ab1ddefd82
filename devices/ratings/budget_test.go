package ratings

import (
	"testing"
	"time"
)

func TestLineBudget(t *testing.T) {
	type step struct {
		at               time.Duration
		lines            int
		allowed, episode int // how many allowed, how many drops began an episode
	}
	for _, c := range []struct {
		name        string
		rate        float64
		burst       int
		steps       []step
		wantDropped int
	}{
		{"within the burst", 1, 5, []step{{0, 5, 5, 0}}, 0},
		{"a flood past the burst is one episode", 1, 5, []step{{0, 12, 5, 1}}, 7},
		{"refills at the rate", 2, 4, []step{{0, 4, 4, 0}, {time.Second, 3, 2, 1}, {3 * time.Second, 4, 4, 0}}, 1},
		{"never above the burst", 10, 3, []step{{0, 1, 1, 0}, {time.Hour, 5, 3, 1}}, 2},
		{"a new episode after an allowed line", 1, 1, []step{{0, 2, 1, 1}, {time.Second, 2, 1, 1}}, 2},
		{"time going backwards refills nothing", 1, 2, []step{{5 * time.Second, 2, 2, 0}, {time.Second, 1, 0, 1}}, 1},
	} {
		b := newLineBudget(c.rate, c.burst)
		for i, s := range c.steps {
			allowed, episodes := 0, 0
			for range s.lines {
				ok, ep := b.allow(s.at)
				if ok {
					allowed++
				}
				if ep {
					episodes++
				}
			}
			if allowed != s.allowed || episodes != s.episode {
				t.Errorf("%s: step %d: %d allowed, %d episodes; want %d, %d", c.name, i, allowed, episodes, s.allowed, s.episode)
			}
		}
		if b.dropped != c.wantDropped {
			t.Errorf("%s: dropped %d; want %d", c.name, b.dropped, c.wantDropped)
		}
	}
}
