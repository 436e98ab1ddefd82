package reports

import (
	"encoding/json"
	"math"
)

// MetricSummary is one metric summarised over the run. It has the same fields
// in the same order as sim/metrics.Summary, so the runner converts with
// reports.MetricSummary(s). Non-finite values (a Min of an empty metric, say)
// are written to JSON as null and read back as NaN.
type MetricSummary struct {
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

// metricJSON is MetricSummary with nullable numbers, because JSON has no NaN.
type metricJSON struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Sum   *float64 `json:"sum"`
	Min   *float64 `json:"min"`
	Max   *float64 `json:"max"`
	Mean  *float64 `json:"mean"`
	P50   *float64 `json:"p50"`
	P95   *float64 `json:"p95"`
	P99   *float64 `json:"p99"`
}

// MarshalJSON writes the summary with non-finite values as null.
func (m MetricSummary) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricJSON{
		Name: m.Name, Count: m.Count,
		Sum: finite(m.Sum), Min: finite(m.Min), Max: finite(m.Max), Mean: finite(m.Mean),
		P50: finite(m.P50), P95: finite(m.P95), P99: finite(m.P99),
	})
}

// UnmarshalJSON reads a summary; null or missing numbers become NaN.
func (m *MetricSummary) UnmarshalJSON(b []byte) error {
	var j metricJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = MetricSummary{
		Name: j.Name, Count: j.Count,
		Sum: orNaN(j.Sum), Min: orNaN(j.Min), Max: orNaN(j.Max), Mean: orNaN(j.Mean),
		P50: orNaN(j.P50), P95: orNaN(j.P95), P99: orNaN(j.P99),
	}
	return nil
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
