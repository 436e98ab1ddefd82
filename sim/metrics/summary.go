package metrics

import (
	"math"
	"slices"
)

// Summary is one metric summarised over a whole run. Its fields are in the
// same order as reports.MetricSummary, which converts from it directly.
type Summary struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	Sum   float64 `json:"sum"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
}

// Summarize summarises samples under name. With no samples, Count and Sum
// are 0 and the other fields NaN.
func Summarize(name string, samples []Sample) Summary {
	values := make([]float64, len(samples))
	sum := 0.0
	for i, s := range samples {
		values[i] = s.V
		sum += s.V
	}
	slices.Sort(values)
	sm := Summary{Name: name, Count: len(values), Sum: sum}
	sm.Min = Quantile(values, 0)
	sm.Max = Quantile(values, 1)
	sm.Mean = math.NaN()
	if len(values) > 0 {
		sm.Mean = sum / float64(len(values))
	}
	sm.P50 = Quantile(values, 0.50)
	sm.P95 = Quantile(values, 0.95)
	sm.P99 = Quantile(values, 0.99)
	return sm
}

// Quantile returns the q-quantile of sorted (ascending) values by the
// nearest-rank method: the smallest value such that at least q·n of the n
// values are less than or equal to it. q <= 0 gives the minimum, q >= 1 the
// maximum, and an empty slice NaN. The result is always one of the values.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q <= 0 {
		return sorted[0]
	}
	if q >= 1 {
		return sorted[n-1]
	}
	rank := nearestRank(q, n)
	return sorted[rank-1]
}

// nearestRank is ceil(q·n) in 1..n, ignoring the rounding error of q·n
// (0.07·100 is 7.000000000000001 in float64, and its rank is 7, not 8).
func nearestRank(q float64, n int) int {
	x := q * float64(n)
	if r := math.Round(x); math.Abs(x-r) <= 1e-12*x {
		x = r
	}
	rank := int(math.Ceil(x))
	return min(max(rank, 1), n)
}
