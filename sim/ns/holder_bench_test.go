package ns

import (
	"os"
	"testing"
	"time"
)

// BenchmarkHolder measures what holding namespaces in a helper costs: Do
// (enter, run nothing, come back) and Create on a namespace this process
// holds (the baseline) and on one a Holder holds, alternating rounds in the
// same run. It reports each as ns per operation and the held/direct ratios.
func BenchmarkHolder(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root (network namespaces)")
	}
	h, err := NewHolder()
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	direct, err := Create("", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	held, err := h.Create("", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer held.Close()
	nothing := func() error { return nil }
	enter := func(n *NS, count int) time.Duration {
		start := time.Now()
		for i := 0; i < count; i++ {
			if err := n.Do(nothing); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	create := func(c func(string, func() error) (*NS, error), count int) time.Duration {
		made := make([]*NS, 0, count)
		start := time.Now()
		for i := 0; i < count; i++ {
			n, err := c("", nil)
			if err != nil {
				b.Fatal(err)
			}
			made = append(made, n)
		}
		d := time.Since(start)
		for _, n := range made {
			n.Close()
		}
		return d
	}
	const rounds, enters, creates = 5, 20000, 50
	var bestDirect, bestHeld, bestCreate, bestCreateHeld time.Duration
	best := func(cur *time.Duration, d time.Duration) {
		if *cur == 0 || d < *cur {
			*cur = d
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			best(&bestDirect, enter(direct, enters))
			best(&bestHeld, enter(held, enters))
			best(&bestCreate, create(Create, creates))
			best(&bestCreateHeld, create(h.Create, creates))
		}
	}
	b.ReportMetric(float64(bestDirect.Nanoseconds())/enters, "ns/enter-direct")
	b.ReportMetric(float64(bestHeld.Nanoseconds())/enters, "ns/enter-held")
	b.ReportMetric(float64(bestHeld)/float64(bestDirect), "enter-held/direct")
	b.ReportMetric(float64(bestCreate.Nanoseconds())/creates, "ns/create-direct")
	b.ReportMetric(float64(bestCreateHeld.Nanoseconds())/creates, "ns/create-held")
	b.ReportMetric(float64(bestCreateHeld)/float64(bestCreate), "create-held/direct")
}
