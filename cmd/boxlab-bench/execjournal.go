package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/boxlab/boxlab/sim/metrics"
)

// execMetrics summarises the journal lines an out-of-process device wrote to
// its <node>.stdout (`boxlab device ROLE` under the exec role writes the
// run journal's JSON lines): each event counts one sample of its name, and
// each numeric attribute one sample of "<event>.<attr>" (durations are in
// seconds there). The lines do not say which numbers were integers (the
// journal's identifiers: ports, pids), since an integral float is written
// without a fraction too, so those appear as well. Lines that are not JSON
// objects with an "event" are ignored.
func execMetrics(path string) (*metrics.Store, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st := metrics.NewStore()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var ev map[string]any
		if d.Decode(&ev) != nil {
			continue
		}
		name, ok := ev["event"].(string)
		if !ok {
			continue
		}
		var t time.Duration
		if n, ok := ev["t"].(json.Number); ok {
			if s, err := n.Float64(); err == nil {
				t = time.Duration(s * float64(time.Second))
			}
		}
		st.Observe(name, t, 1)
		for k, v := range ev {
			n, ok := v.(json.Number)
			if !ok || k == "t" {
				continue
			}
			if x, err := n.Float64(); err == nil {
				st.Observe(name+"."+k, t, x)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// spanRate is how many samples a series has per real second between its
// first and last (simulated times over speed), and its busiest real second.
func spanRate(samples []metrics.Sample, speed float64) (perSec float64, peak int) {
	if len(samples) < 2 || speed <= 0 {
		return math.NaN(), len(samples)
	}
	first, last := samples[0].T, samples[0].T
	buckets := map[int64]int{}
	for _, x := range samples {
		first, last = min(first, x.T), max(last, x.T)
		b := int64(x.T.Seconds() / speed)
		buckets[b]++
		peak = max(peak, buckets[b])
	}
	span := (last - first).Seconds() / speed
	if span <= 0 {
		return math.NaN(), peak
	}
	return float64(len(samples)) / span, peak
}

// printExecMetrics prints the metrics of every <node>.stdout in out that
// holds journal lines. Its rates are the device's own: per real second
// between a metric's first and last sample (its simulated times over the
// run's speed), and in its busiest real second.
func printExecMetrics(out string, show *regexp.Regexp, speed float64) {
	files, _ := filepath.Glob(filepath.Join(out, "*.stdout"))
	for _, path := range files {
		st, err := execMetrics(path)
		if err != nil || len(st.Names()) == 0 {
			continue
		}
		fmt.Printf("  events of %s (an exec node's own journal, out of process); rates per real second from first to last sample, and in the busiest second:\n", filepath.Base(path))
		fmt.Printf("  %-44s %10s %12s %12s %12s %12s\n", "metric", "count", "per real s", "busiest s", "p50", "p95")
		for _, name := range st.Names() {
			if !show.MatchString(name) {
				continue
			}
			series := st.Series(name)
			m := metrics.Summarize(name, series)
			per, peak := spanRate(series, speed)
			fmt.Printf("  %-44s %10d %12s %12d %12s %12s\n", m.Name, m.Count, num(per), peak, num(m.P50), num(m.P95))
		}
	}
}
