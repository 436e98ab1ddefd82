package assert

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/boxlab/boxlab/sim/metrics"
)

type windowKind int

const (
	wholeRun windowKind = iota // no window: [0, End]
	after                      // T >= from
	before                     // T < to
	between                    // from <= T < to
	during                     // inside the named intervals (name "fault": any)
	outside                    // not inside them
)

// allFaults is the interval name that means every fault interval.
const allFaults = "fault"

// window selects the samples an assertion aggregates.
type window struct {
	kind     windowKind
	from, to time.Duration
	name     string // during, outside
}

func (w window) String() string {
	switch w.kind {
	case after:
		return "after " + formatDuration(w.from)
	case before:
		return "before " + formatDuration(w.to)
	case between:
		return "between " + formatDuration(w.from) + " and " + formatDuration(w.to)
	case during:
		return "during " + w.name
	case outside:
		return "outside " + w.name
	}
	return ""
}

// describe names the window in a Detail message.
func (w window) describe() string {
	if w.kind == wholeRun {
		return "in the whole run"
	}
	return w.String()
}

// unbounded is the end of a span that runs to the end of the scenario.
const unbounded = time.Duration(math.MaxInt64)

// span is the half-open time range [lo, hi).
type span struct{ lo, hi time.Duration }

// spans is a window resolved against an Env: disjoint sorted spans, and the
// scenario end (0 = unknown) that clips them.
type spans struct {
	list []span
	end  time.Duration
}

// resolve turns w into spans, or says why it cannot (no interval of that name).
func (w window) resolve(env Env) (spans, error) {
	s := spans{end: env.End}
	switch w.kind {
	case wholeRun:
		s.list = []span{{0, unbounded}}
	case after:
		s.list = []span{{w.from, unbounded}}
	case before:
		s.list = []span{{0, w.to}}
	case between:
		s.list = []span{{w.from, w.to}}
	case during, outside:
		faults := faultSpans(env.Faults, w.name)
		if len(faults) == 0 && w.name != allFaults {
			return s, fmt.Errorf("no fault interval named %q in this run (%s)", w.name, w)
		}
		if len(faults) == 0 && w.kind == during {
			return s, fmt.Errorf("no fault intervals in this run (%s)", w)
		}
		s.list = faults
		if w.kind == outside {
			s.list = complement(faults)
		}
	}
	return s, nil
}

// faultSpans merges the intervals called name (any, for "fault") into
// disjoint sorted spans. Empty intervals (To <= From) are ignored.
func faultSpans(faults []metrics.Interval, name string) []span {
	var list []span
	for _, f := range faults {
		if (name == allFaults || f.Name == name) && f.To > f.From && f.To > 0 {
			list = append(list, span{max(f.From, 0), f.To})
		}
	}
	slices.SortFunc(list, func(a, b span) int {
		if a.lo != b.lo {
			return cmpDur(a.lo, b.lo)
		}
		return cmpDur(a.hi, b.hi)
	})
	var merged []span
	for _, sp := range list {
		if n := len(merged); n > 0 && sp.lo <= merged[n-1].hi {
			merged[n-1].hi = max(merged[n-1].hi, sp.hi)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// complement is [0, unbounded) minus the disjoint sorted list.
func complement(list []span) []span {
	var out []span
	lo := time.Duration(0)
	for _, sp := range list {
		if sp.lo > lo {
			out = append(out, span{lo, sp.lo})
		}
		lo = max(lo, sp.hi)
	}
	if lo < unbounded {
		out = append(out, span{lo, unbounded})
	}
	return out
}

// contains reports whether a sample at t is in the window: inside a span and
// inside the scenario [0, end] (end included; no upper bound when end is 0).
func (s spans) contains(t time.Duration) bool {
	if t < 0 || s.end > 0 && t > s.end {
		return false
	}
	for _, sp := range s.list {
		if t >= sp.lo && t < sp.hi {
			return true
		}
	}
	return false
}

// length is the total length of the window clipped to [0, end], and false
// when it is unknown: the window runs to the end and Env.End is not set.
func (s spans) length() (time.Duration, bool) {
	var total time.Duration
	for _, sp := range s.list {
		hi := sp.hi
		if s.end > 0 {
			hi = min(hi, s.end)
		} else if hi == unbounded {
			return 0, false
		}
		if hi > sp.lo {
			total += hi - sp.lo
		}
	}
	return total, true
}
