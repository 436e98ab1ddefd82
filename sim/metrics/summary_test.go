package metrics

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []float64
		q      float64
		want   float64
	}{
		{"nearest rank: p50 of 1..4 is the 2nd value", seq(4), 0.5, 2},
		{"nearest rank: p50 of 1..5 is the 3rd value", seq(5), 0.5, 3},
		{"nearest rank: p95 of 1..100 is the 95th", seq(100), 0.95, 95},
		{"nearest rank: p99 of 1..100 is the 99th", seq(100), 0.99, 99},
		{"p07 of 1..100 is 7 although 0.07*100 is 7.000000000000001", seq(100), 0.07, 7},
		{"p95 of 1..10 rounds the rank up to 10", seq(10), 0.95, 10},
		{"p90 of 1..10 is exactly the 9th", seq(10), 0.90, 9},
		{"p999 of 1..1000 is the 999th", seq(1000), 0.999, 999},
		{"p01 of 1..1000 is the 10th", seq(1000), 0.01, 10},
		{"tiny q gives the first value", seq(10), 1e-9, 1},
		{"q 0 is the minimum", []float64{-3, 2, 7}, 0, -3},
		{"q below 0 is the minimum", []float64{-3, 2, 7}, -1, -3},
		{"q 1 is the maximum", []float64{-3, 2, 7}, 1, 7},
		{"q above 1 is the maximum", []float64{-3, 2, 7}, 2, 7},
		{"one value is every quantile", []float64{42}, 0.5, 42},
		{"the result is an observed value, never interpolated", []float64{1, 100}, 0.5, 1},
	}
	for _, tt := range tests {
		if got := Quantile(tt.sorted, tt.q); got != tt.want {
			t.Errorf("%s: Quantile(%v, %v) = %v, want %v", tt.name, short(tt.sorted), tt.q, got, tt.want)
		}
	}
	if got := Quantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Quantile of no values = %v, want NaN", got)
	}
	if got := Quantile(seq(3), math.NaN()); !math.IsNaN(got) {
		t.Errorf("Quantile(q=NaN) = %v, want NaN", got)
	}
}

func short(v []float64) any {
	if len(v) > 5 {
		return []any{v[0], "...", v[len(v)-1]}
	}
	return v
}

func TestSummaries(t *testing.T) {
	s := NewStore()
	for i := 100; i >= 1; i-- { // observed out of order
		s.Observe("echo.reply.rtt", time.Duration(i)*time.Second, float64(i)/1000)
	}
	s.Observe("echo.request", 0, 1)
	s.Observe("echo.request", time.Second, 1)
	got := s.Summaries()
	want := []Summary{
		{Name: "echo.reply.rtt", Count: 100, Sum: 5.05, Min: 0.001, Max: 0.1, Mean: 0.0505, P50: 0.05, P95: 0.095, P99: 0.099},
		{Name: "echo.request", Count: 2, Sum: 2, Min: 1, Max: 1, Mean: 1, P50: 1, P95: 1, P99: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("Summaries() = %+v, want %+v", got, want)
	}
	for i := range want {
		if !closeSummary(got[i], want[i]) {
			t.Errorf("Summaries()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func closeSummary(a, b Summary) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12*math.Max(1, math.Abs(y)) }
	return a.Name == b.Name && a.Count == b.Count && near(a.Sum, b.Sum) && a.Min == b.Min && a.Max == b.Max &&
		near(a.Mean, b.Mean) && a.P50 == b.P50 && a.P95 == b.P95 && a.P99 == b.P99
}

func TestSummarizeEmpty(t *testing.T) {
	sm := Summarize("x", nil)
	if sm.Count != 0 || sm.Sum != 0 || !math.IsNaN(sm.Min) || !math.IsNaN(sm.Mean) || !math.IsNaN(sm.P99) {
		t.Errorf("Summarize(no samples) = %+v, want count 0, sum 0, the rest NaN", sm)
	}
}

func TestSummaryJSONSnakeCase(t *testing.T) {
	b, err := json.Marshal(Summary{Name: "x", Count: 1, P95: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"x","count":1,"sum":0,"min":0,"max":0,"mean":0,"p50":0,"p95":2,"p99":0}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}
