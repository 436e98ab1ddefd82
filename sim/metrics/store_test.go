package metrics

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestObserveConcurrent(t *testing.T) {
	// Observe is called from thousands of device goroutines: nothing may be lost (run with -race).
	const goroutines, perG = 1000, 100
	s := NewStore()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				s.Observe("echo.request", time.Duration(i)*time.Millisecond, 1)
				s.Observe(fmt.Sprintf("dev%d.up", g%10), time.Duration(perG-i)*time.Millisecond, float64(i))
			}
		}()
	}
	// Readers run while writers append.
	for range 3 {
		_ = s.Series("echo.request")
		_ = s.Summaries()
	}
	wg.Wait()
	got := s.Series("echo.request")
	if len(got) != goroutines*perG {
		t.Fatalf("len(Series) = %d, want %d", len(got), goroutines*perG)
	}
	if !slices.IsSortedFunc(got, func(a, b Sample) int { return int(a.T - b.T) }) {
		t.Errorf("Series is not sorted by T")
	}
	if n := len(s.Names()); n != 11 {
		t.Errorf("len(Names) = %d, want 11", n)
	}
}

func TestSeries(t *testing.T) {
	s := NewStore()
	s.Observe("x", 3*time.Second, 30)
	s.Observe("x", 1*time.Second, 10)
	s.Observe("x", 3*time.Second, 31) // same T: stays after the first one observed
	s.ObserveKey("x", "dev", 2*time.Second, 20)
	want := []Sample{{1 * time.Second, 10, ""}, {2 * time.Second, 20, "dev"}, {3 * time.Second, 30, ""}, {3 * time.Second, 31, ""}}
	got := s.Series("x")
	if !slices.Equal(got, want) {
		t.Fatalf("Series(x) = %v, want %v (sorted by T, stable)", got, want)
	}
	got[0].V = 999
	if s.Series("x")[0].V != 10 {
		t.Errorf("Series returned the store's slice, not a copy")
	}
	if got := s.Series("unknown"); got != nil {
		t.Errorf("Series(unknown) = %v, want nil", got)
	}
}

func TestObserveDropsNonFinite(t *testing.T) {
	s := NewStore()
	s.Observe("x", 0, math.NaN())
	s.Observe("x", 0, math.Inf(1))
	s.Observe("x", 0, math.Inf(-1))
	s.Observe("x", 0, 1)
	if got := s.Series("x"); len(got) != 1 {
		t.Errorf("Series(x) = %v, want only the finite sample", got)
	}
}

func TestNamesSorted(t *testing.T) {
	s := NewStore()
	for _, name := range []string{"b", "a.z", "a", "c.b.a"} {
		s.Observe(name, 0, 1)
	}
	if got, want := s.Names(), []string{"a", "a.z", "b", "c.b.a"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if got := NewStore().Names(); len(got) != 0 {
		t.Errorf("Names() of an empty store = %v, want none", got)
	}
}

func BenchmarkObserve(b *testing.B) {
	s := NewStore()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Observe("echo.reply.rtt", time.Duration(i), 0.012)
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	s := NewStore()
	names := []string{"echo.request", "echo.reply", "echo.reply.rtt", "keepalive.online"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Observe(names[i%len(names)], time.Duration(i), 1)
			i++
		}
	})
}
