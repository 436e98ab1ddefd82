package stb

import (
	"testing"
	"time"
)

func TestRTO(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name    string
		samples []time.Duration // one a second, from t = 1 s
		at      time.Duration   // when the timeout is asked for
		want    time.Duration
	}{
		{"no sample: the initial 2 s (RFC 5389 §7.2.1: above 500 ms)", nil, time.Second, rtoFloor},
		{"fast server: never below the floor", []time.Duration{ms, ms, ms}, 4 * time.Second, rtoFloor},
		{"first sample: SRTT = R, RTTVAR = R/2 (RFC 6298 §2.2)", []time.Duration{1000 * ms}, 2 * time.Second, 3000 * ms},
		{"second sample smooths (RFC 6298 §2.3)", []time.Duration{1000 * ms, 2000 * ms}, 3 * time.Second,
			// RTTVAR = 3/4·500 + 1/4·1000 = 625 ms; SRTT = 7/8·1000 + 1/8·2000 = 1125 ms
			1125*ms + 4*625*ms},
		{"1 ms accuracy, no rounding to a second", []time.Duration{700 * ms}, 2 * time.Second, 2100 * ms},
		{"bounded at 60 s", []time.Duration{50 * time.Second}, 2 * time.Second, rtoCeiling},
		{"stale after 10 minutes (RFC 5389 §7.2.1)", []time.Duration{1000 * ms}, 12 * time.Minute, rtoFloor},
	} {
		var e rto
		for i, r := range c.samples {
			e.sample(r, time.Duration(i+1)*time.Second)
		}
		if got := e.timeout(c.at); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRTOStaleRestarts(t *testing.T) {
	var e rto
	e.sample(5*time.Second, 0)
	e.sample(time.Second, 11*time.Minute) // the old estimate was stale: this one starts afresh
	if got, want := e.timeout(11*time.Minute), 3*time.Second; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	e.sample(-time.Second, 12*time.Minute) // a negative round trip is ignored
	if got, want := e.timeout(12*time.Minute), 3*time.Second; got != want {
		t.Errorf("after a negative sample: got %v, want %v", got, want)
	}
}
