package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/boxlab/boxlab/sim/metrics"
)

func TestParseStat(t *testing.T) {
	// Fields 14-17 (utime stime cutime cstime) = 150+50+30+20 ticks, field 24 (rss) = 777 pages.
	const line = "4242 (boxlab (dev) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 30 20 20 0 12 0 5000 123456789 777 18446744073709551615 1 1 0 0 0"
	for _, c := range []struct {
		name string
		in   string
		cpu  time.Duration
		rss  int64
		ok   bool
	}{
		{"a command with spaces and parentheses", line, 250 * clockTick, 777, true},
		{"no closing parenthesis", "4242 (boxlab S 1", 0, 0, false},
		{"too few fields", "4242 (x) S 1 2 3", 0, 0, false},
		{"not a number", "4242 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 50 30 20 20 0 12 0 5000 123456789 777 0", 0, 0, false},
	} {
		cpu, rss, ok := parseStat(c.in)
		if ok != c.ok || cpu != c.cpu || rss != c.rss {
			t.Errorf("%s: got %v %d %v; want %v %d %v", c.name, cpu, rss, ok, c.cpu, c.rss, c.ok)
		}
	}
}

func TestChildrenSeesAChild(t *testing.T) {
	self, ok := readChild(os.Getpid())
	if !ok || self.files == 0 || self.rss == 0 {
		t.Fatalf("reading this process as a child: %+v %v", self, ok)
	}
}

func TestExecMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ratings.stdout")
	text := `{"t":1.5,"event":"ratings.report","node":"ratings","user":"u1","ingest":0.002}
{"t":2,"event":"ratings.report","node":"ratings","user":"u2","ingest":0.004}
not json
{"t":3,"no":"event"}
{"t":9,"event":"ratings.store","node":"ratings","db_bytes":4096,"records":2}
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := execMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	sums := st.Summaries()
	got := map[string][2]float64{}
	for _, s := range sums {
		got[s.Name] = [2]float64{float64(s.Count), s.Max}
	}
	want := map[string][2]float64{
		"ratings.report": {2, 1}, "ratings.report.ingest": {2, 0.004},
		"ratings.store": {1, 1}, "ratings.store.db_bytes": {1, 4096}, "ratings.store.records": {1, 2},
	}
	if len(got) != len(want) {
		t.Errorf("metrics %v; want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: count, max %v; want %v", k, got[k], w)
		}
	}
}

func TestSpanRate(t *testing.T) {
	at := func(secs ...float64) []metrics.Sample {
		var out []metrics.Sample
		for _, s := range secs {
			out = append(out, metrics.Sample{T: time.Duration(s * float64(time.Second)), V: 1})
		}
		return out
	}
	// Speed 10: simulated 0..40 s is 4 real seconds; 5 samples, 3 of them in real second 0.
	per, peak := spanRate(at(0, 2, 9, 20, 40), 10)
	if per != 5.0/4 || peak != 3 {
		t.Errorf("got %v/s, busiest %d; want 1.25/s, 3", per, peak)
	}
	if per, peak := spanRate(at(5), 10); !math.IsNaN(per) || peak != 1 {
		t.Errorf("one sample: got %v, %d; want NaN, 1", per, peak)
	}
}
