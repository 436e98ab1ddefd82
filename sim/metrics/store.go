package metrics

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Sample is one observed value at simulated time T (since scenario start).
// Key names what the value is about when the source says so (the journal:
// the event's device, else its node), for per-key assertions; "" = none.
type Sample struct {
	T   time.Duration
	V   float64
	Key string
}

// Store holds every sample of a run, by metric name. It is safe for
// concurrent use; create it with NewStore.
type Store struct {
	mu     sync.Mutex
	series map[string]*series
}

type series struct {
	samples []Sample
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{series: make(map[string]*series)}
}

// Observe records value v of metric name at simulated time t. It takes one
// lock and appends, so devices may call it from any goroutine on every event.
// Non-finite values are dropped.
func (s *Store) Observe(name string, t time.Duration, v float64) {
	s.ObserveKey(name, "", t, v)
}

// ObserveKey is Observe with the sample's Key.
func (s *Store) ObserveKey(name, key string, t time.Duration, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.mu.Lock()
	ser := s.series[name]
	if ser == nil {
		ser = &series{}
		s.series[name] = ser
	}
	ser.samples = append(ser.samples, Sample{T: t, V: v, Key: key})
	s.mu.Unlock()
}

// Series returns a copy of the samples of name sorted by T; samples with the
// same T keep the order they were observed in. It returns nil for an unknown
// name.
func (s *Store) Series(name string) []Sample {
	s.mu.Lock()
	ser := s.series[name]
	var out []Sample
	if ser != nil {
		out = slices.Clone(ser.samples)
	}
	s.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out
}

// Names returns the names of all observed metrics, sorted.
func (s *Store) Names() []string {
	s.mu.Lock()
	names := make([]string, 0, len(s.series))
	for name := range s.series {
		names = append(names, name)
	}
	s.mu.Unlock()
	slices.Sort(names)
	return names
}

// Summaries returns one Summary per metric, sorted by name.
func (s *Store) Summaries() []Summary {
	names := s.Names()
	out := make([]Summary, 0, len(names))
	for _, name := range names {
		out = append(out, Summarize(name, s.Series(name)))
	}
	return out
}

// Interval is the active window [From, To) of a fault. Name is the timeline
// event's name, or the fault kind when the event has none.
type Interval struct {
	Name     string
	From, To time.Duration
}
