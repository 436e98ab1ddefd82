package journal

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/metrics"
)

func TestEventsBecomeLinesAndMetrics(t *testing.T) {
	var buf bytes.Buffer
	m := metrics.NewStore()
	j := New(&buf, clock.New(10), m)
	log := j.Logger("home0-pinger0")
	log.Info("echo.reply", "seq", 3, "rtt", 20*time.Millisecond, "ratio", 0.5, "seen", "198.18.0.2:1", "ok", true)
	log.Info("echo.reply", "seq", 4, "rtt", 40*time.Millisecond)
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
		t.Fatalf("line is not JSON: %v: %s", err, lines[0])
	}
	want := map[string]any{"event": "echo.reply", "node": "home0-pinger0", "seq": 3.0, "rtt": 0.02, "ratio": 0.5, "seen": "198.18.0.2:1", "ok": true}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if got := len(m.Series("echo.reply")); got != 2 {
		t.Errorf("echo.reply count = %d, want 2", got)
	}
	rtt := m.Series("echo.reply.rtt")
	if len(rtt) != 2 || rtt[0].V != 0.02 || rtt[1].V != 0.04 {
		t.Errorf("echo.reply.rtt = %v", rtt)
	}
	if m.Series("echo.reply.seq") != nil {
		t.Error("integer attribute seq became a metric")
	}
	if j.Events() != 2 {
		t.Errorf("Events = %d", j.Events())
	}
}

// Samples are keyed by the event's subject: its device attribute, else its node.
func TestSamplesKeyedBySubject(t *testing.T) {
	m := metrics.NewStore()
	j := New(nil, clock.New(1), m)
	j.Logger("mon").Info("mapmon.probe", "device", "home0-dev0", "valid", 1.0)
	j.Logger("mon").With("device", "home1-dev0").Info("mapmon.probe", "valid", 0.0)
	j.Logger("home2-dev0").Info("mapmon.probe", "valid", 1.0)
	j.Logger("mon").Info("mapmon.probe", "device", 7, "valid", 1.0) // not a string: not a subject
	var got []string
	for _, s := range m.Series("mapmon.probe.valid") {
		got = append(got, s.Key)
	}
	want := []string{"home0-dev0", "home1-dev0", "home2-dev0", "mon"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("keys of mapmon.probe.valid = %v; want %v", got, want)
	}
	if k := m.Series("mapmon.probe")[0].Key; k != "home0-dev0" {
		t.Errorf("key of the event's own sample = %q", k)
	}
}
