// Package journal is the run's event journal: a log/slog handler that writes
// every event as one JSON line (t = simulated seconds since the scenario
// started, event = the slog message, node, then the attributes) and turns
// events into metrics: each event counts one sample of the metric named like
// the event, and each duration or float attribute becomes a sample of
// "<event>.<attr>" (durations in seconds). Integer and string attributes are
// identifiers (sequence numbers, ports, addresses) and are not metrics. Every
// sample is keyed by the event's subject: its "device" attribute when it has
// a string one (a server's event about a device), else its node.
package journal

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/metrics"
)

// Journal owns the JSON Lines output and the metric store. An event is
// formatted by the goroutine that logs it, outside any lock: the lock is
// held only to append the finished line to the buffer. (Formatting under
// the lock made it a convoy with thousands of devices logging on a busy
// machine: 1,300 goroutines queued on it while the acs held its own lock
// around a log call, and its STUN entity stopped reading for seconds.)
type Journal struct {
	mu      sync.Mutex // guards w
	w       *bufio.Writer
	clock   atomic.Pointer[clock.Clock]
	metrics *metrics.Store // has its own lock
	events  atomic.Int64
	tee     slog.Handler // optional: engine events also go to the console
}

// New writes to w (may be nil) and observes into m (may be nil: no metrics,
// for a device that only writes its events out). Timestamps come from clk,
// which may be replaced with SetClock when simulated time starts.
func New(w io.Writer, clk *clock.Clock, m *metrics.Store) *Journal {
	j := &Journal{metrics: m}
	j.clock.Store(clk)
	if w != nil {
		j.w = bufio.NewWriterSize(w, 64<<10)
	}
	return j
}

// SetClock sets the clock that stamps events from now on.
func (j *Journal) SetClock(c *clock.Clock) { j.clock.Store(c) }

// Events is how many events were recorded.
func (j *Journal) Events() int { return int(j.events.Load()) }

// Flush writes buffered lines out.
func (j *Journal) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.w == nil {
		return nil
	}
	return j.w.Flush()
}

func (j *Journal) observe(name, key string, t time.Duration, v float64) {
	if j.metrics != nil {
		j.metrics.ObserveKey(name, key, t, v)
	}
}

// Logger returns a logger whose every record is an event of node.
func (j *Journal) Logger(node string) *slog.Logger {
	return slog.New(&handler{j: j, node: node})
}

// LoggerTee is Logger, also passing each record to console (for engine events).
func (j *Journal) LoggerTee(node string, console slog.Handler) *slog.Logger {
	return slog.New(&handler{j: j, node: node, tee: console})
}

type handler struct {
	j     *Journal
	node  string
	attrs []slog.Attr
	tee   slog.Handler
}

func (h *handler) Enabled(context.Context, slog.Level) bool { return true }

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	if h.tee != nil {
		c.tee = h.tee.WithAttrs(as)
	}
	return &c
}

func (h *handler) WithGroup(string) slog.Handler { return h } // flat events: groups are not used

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if h.tee != nil && h.tee.Enabled(ctx, r.Level) {
		h.tee.Handle(ctx, r)
	}
	j := h.j
	t := j.clock.Load().At(r.Time)
	if t < 0 {
		t = 0
	}
	j.events.Add(1)
	key := h.node
	subject := func(a slog.Attr) bool {
		if a.Key == "device" && a.Value.Kind() == slog.KindString {
			key = a.Value.String()
			return false
		}
		return true
	}
	for _, a := range h.attrs {
		subject(a)
	}
	r.Attrs(subject)
	j.observe(r.Message, key, t, 1)
	var line []byte
	if j.w != nil {
		line = make([]byte, 0, 256) // one allocation for a typical event
		line = append(line, `{"t":`...)
		line = strconv.AppendFloat(line, t.Seconds(), 'f', 6, 64)
		line = append(line, `,"event":`...)
		line = appendJSON(line, r.Message)
		if h.node != "" {
			line = append(line, `,"node":`...)
			line = appendJSON(line, h.node)
		}
	}
	each := func(a slog.Attr) bool {
		v := a.Value.Resolve()
		switch v.Kind() {
		case slog.KindDuration:
			j.observe(r.Message+"."+a.Key, key, t, v.Duration().Seconds())
		case slog.KindFloat64:
			j.observe(r.Message+"."+a.Key, key, t, v.Float64())
		}
		if j.w != nil {
			line = append(line, ',')
			line = appendJSON(line, a.Key)
			line = append(line, ':')
			line = appendValue(line, v)
		}
		return true
	}
	for _, a := range h.attrs {
		each(a)
	}
	r.Attrs(each)
	if j.w != nil {
		line = append(line, "}\n"...)
		j.mu.Lock()
		_, err := j.w.Write(line)
		j.mu.Unlock()
		return err
	}
	return nil
}

func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindDuration:
		return strconv.AppendFloat(b, v.Duration().Seconds(), 'f', -1, 64)
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendJSON(b, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindTime:
		return appendJSON(b, v.Time().Format(time.RFC3339Nano))
	default:
		return appendJSON(b, v.String())
	}
}

// appendJSON appends s as a JSON string. Plain printable ASCII without
// quotes, backslashes or the characters encoding/json escapes for HTML
// (<, >, &) is copied as is: nearly every event name, node, address and
// identifier is, and json.Marshal costs an allocation and a reflection
// walk for each (a tenth of the journal's CPU with 10,000 boxes logging).
// Anything else goes through json.Marshal, so the output is the same.
func appendJSON(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// LogAt records an event that happened at real instant t rather than now,
// e.g. a request found lost later, stamped when it was sent.
func LogAt(l *slog.Logger, t time.Time, msg string, args ...any) {
	r := slog.NewRecord(t, slog.LevelInfo, msg, 0)
	r.Add(args...)
	l.Handler().Handle(context.Background(), r)
}
