package lab

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Event is one record a device logged: its name, its attributes (resolved
// to Go values: durations stay durations) and the real instant.
type Event struct {
	At    time.Time
	Name  string
	Attrs map[string]any
}

// Str is attribute k as text ("" when absent).
func (e Event) Str(k string) string {
	v, ok := e.Attrs[k]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// Recorder is a slog handler that keeps every event a device logs, for
// specs that judge a device by what it reports (a server's view of the wire).
type Recorder struct {
	mu     sync.Mutex
	events []Event
	attrs  []slog.Attr
	parent *Recorder
}

func (r *Recorder) root() *Recorder {
	for r.parent != nil {
		r = r.parent
	}
	return r
}

// Enabled is always true.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle records one event.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	e := Event{At: rec.Time, Name: rec.Message, Attrs: map[string]any{}}
	for _, a := range r.attrs {
		e.Attrs[a.Key] = a.Value.Resolve().Any()
	}
	rec.Attrs(func(a slog.Attr) bool {
		e.Attrs[a.Key] = a.Value.Resolve().Any()
		return true
	})
	root := r.root()
	root.mu.Lock()
	root.events = append(root.events, e)
	root.mu.Unlock()
	return nil
}

// WithAttrs returns a handler that adds as to every event.
func (r *Recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &Recorder{attrs: append(append([]slog.Attr(nil), r.attrs...), as...), parent: r.root()}
}

// WithGroup is not used by devices: groups are flattened.
func (r *Recorder) WithGroup(string) slog.Handler { return r }

// All returns the events named name (every event when name is "") that
// match keep (nil: all), in order.
func (r *Recorder) All(name string, keep func(Event) bool) []Event {
	root := r.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	var out []Event
	for _, e := range root.events {
		if (name == "" || e.Name == name) && (keep == nil || keep(e)) {
			out = append(out, e)
		}
	}
	return out
}

// Count is len(All(name, keep)).
func (r *Recorder) Count(name string, keep func(Event) bool) int { return len(r.All(name, keep)) }

// Attr keeps events whose attribute k prints as v.
func Attr(k, v string) func(Event) bool {
	return func(e Event) bool { return e.Str(k) == v }
}
