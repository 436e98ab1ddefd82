package assert

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/boxlab/boxlab/sim/metrics"
)

// recovery evaluates recovery(metric): metric is a state series per key
// (metrics.Sample.Key, a device), 0 meaning broken and anything else good.
// For each fault the window selects and each key that had a sample before
// the fault started, the key's recovery time is from the fault's start to
// its first sample after which every sample is good, up to the first later
// fault that finds it good (a fault that starts while it is still broken
// does not end its stretch) or the end of the run. The value is the
// largest of them; a key still broken at the end of its stretch, or
// without a sample in it, has not recovered and the assertion fails
// naming it.
func (ev *evaluator) recovery(metric, text string) (float64, *undefined) {
	if ev.env.Metrics == nil {
		return 0, &undefined{msg: "no metrics to evaluate " + text + " against (Env.Metrics is nil)"}
	}
	faults, err := ev.win.faultsFor(ev.env.Faults)
	if err != nil {
		return 0, &undefined{msg: fmt.Sprintf("%s: %v", text, err)}
	}
	var starts []time.Duration // every fault's start: a later fault may break a key again
	for _, f := range ev.env.Faults {
		starts = append(starts, f.From)
	}
	slices.Sort(starts)
	starts = slices.Compact(starts)
	byKey := map[string][]metrics.Sample{}
	var keys []string
	for _, s := range ev.env.Metrics.Series(metric) { // sorted by T
		if ev.env.End > 0 && s.T > ev.env.End {
			continue
		}
		if _, ok := byKey[s.Key]; !ok {
			keys = append(keys, s.Key)
		}
		byKey[s.Key] = append(byKey[s.Key], s)
	}
	if len(keys) == 0 {
		return 0, &undefined{noSamples: true, msg: fmt.Sprintf("no samples of %s in the whole run", metric)}
	}
	slices.Sort(keys)
	worst := time.Duration(0)
	var broken []string
	for _, f := range faults {
		next := time.Duration(unbounded) // the next fault's start
		if i, _ := slices.BinarySearch(starts, f.From+1); i < len(starts) {
			next = starts[i]
		}
		var stuck []string
		for _, k := range keys {
			samples := byKey[k]
			if samples[0].T >= f.From {
				continue // not there when the fault began
			}
			rec, seen := time.Duration(-1), false
			for _, s := range samples {
				if s.T < f.From {
					continue
				}
				if seen && rec >= 0 && next <= s.T {
					break // good when the next fault began: what follows is that fault's
				}
				seen = true
				if s.V == 0 {
					rec = -1
				} else if rec < 0 {
					rec = s.T - f.From
				}
			}
			if rec < 0 {
				stuck = append(stuck, keyName(k))
				continue
			}
			worst = max(worst, rec)
		}
		if len(stuck) > 0 {
			broken = append(broken, fmt.Sprintf("%s after %s at %s", list(stuck), f.Name, formatDuration(f.From)))
		}
	}
	if len(broken) > 0 {
		return 0, &undefined{msg: fmt.Sprintf("%s: not recovered (last %s 0, or none, by the end): %s", text, metric, strings.Join(broken, "; "))}
	}
	return worst.Seconds(), nil
}

// faultsFor is the faults a window selects for recovery(): those whose
// start lies in it (after, before, between), those called NAME (during
// NAME; every fault for "fault") or the others (outside NAME). One per
// start time; faults that start together are one.
func (w window) faultsFor(all []metrics.Interval) ([]metrics.Interval, error) {
	var out []metrics.Interval
	for _, f := range all {
		var in bool
		switch w.kind {
		case wholeRun:
			in = true
		case after:
			in = f.From >= w.from
		case before:
			in = f.From < w.to
		case between:
			in = f.From >= w.from && f.From < w.to
		case during:
			in = w.name == allFaults || f.Name == w.name
		case outside:
			in = w.name != allFaults && f.Name != w.name
		}
		if in {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no fault to recover from %s", w.describe())
	}
	slices.SortStableFunc(out, func(a, b metrics.Interval) int { return cmpDur(a.From, b.From) })
	return slices.CompactFunc(out, func(a, b metrics.Interval) bool { return a.From == b.From }), nil
}

func keyName(k string) string {
	if k == "" {
		return "(unkeyed)"
	}
	return k
}

// list names up to five items and counts the rest.
func list(items []string) string {
	if len(items) <= 5 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:5], ", "), len(items)-5)
}
