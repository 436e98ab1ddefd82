package assert

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/boxlab/boxlab/sim/metrics"
)

const s = time.Second

// testEnv is a 60s run: one echo request per second; no replies during the
// reboot1 fault [20s, 30s); slow replies during link-down [40s, 50s), given
// as two overlapping intervals.
func testEnv() Env {
	st := metrics.NewStore()
	for i := range 60 {
		t := time.Duration(i) * s
		st.Observe("echo.request", t, 1)
		if i >= 20 && i < 30 {
			continue
		}
		st.Observe("echo.reply", t, 1)
		rtt := 0.010
		if i >= 40 && i < 50 {
			rtt = 0.200
		}
		if i == 45 {
			rtt = 0.300
		}
		st.Observe("echo.reply.rtt", t, rtt)
	}
	for i := 1; i <= 20; i++ {
		st.Observe("command.latency", time.Duration(i)*s, float64(i)/10)
	}
	st.Observe("keepalive.online_ratio", 10*s, 1)
	st.Observe("keepalive.online_ratio", 60*s, 0.9987)
	st.Observe("ratio", 5*s, 0.99949)
	st.Observe("rtt.edge", 5*s, 0.2500004)
	st.Observe("big", 5*s, 1e308)
	for _, t := range []time.Duration{-1 * s, 0, 60 * s, 61 * s} {
		st.Observe("edges", t, 1)
	}
	// State series per device for recovery(): a is broken [20s, 27s) and
	// [40s, 42s); b is always good; c appears at 30s; x breaks for good at
	// 50s; y stops reporting at 20s; z is broken [38s, 47s).
	for i := range 60 {
		t := time.Duration(i) * s
		good := func(b bool) float64 {
			if b {
				return 1
			}
			return 0
		}
		st.ObserveKey("dev.ok", "a", t, good(!(i >= 20 && i < 27 || i >= 40 && i < 42)))
		st.ObserveKey("dev.ok", "b", t, 1)
		if i >= 30 {
			st.ObserveKey("dev.ok", "c", t, 1)
		}
		st.ObserveKey("stuck.ok", "x", t, good(i < 50))
		if i < 20 {
			st.ObserveKey("gap.ok", "y", t, 1)
		}
		st.ObserveKey("late.ok", "z", t, good(i < 38 || i >= 47)) // broken across both link-down starts (40s, 44s)
	}
	return Env{
		Metrics: st,
		End:     60 * s,
		Faults: []metrics.Interval{
			{Name: "reboot1", From: 20 * s, To: 30 * s},
			{Name: "link-down", From: 40 * s, To: 45 * s},
			{Name: "link-down", From: 44 * s, To: 50 * s},
			{Name: "never", From: 55 * s, To: 55 * s}, // empty: ignored
		},
	}
}

func noFaults(e Env) Env { e.Faults = nil; return e }
func noEnd(e Env) Env    { e.End = 0; return e }
func noMetrics(e Env) Env {
	e.Metrics = nil
	return e
}

func TestEval(t *testing.T) {
	tests := []struct {
		spec     string
		src      string
		env      func(Env) Env
		expected string
		measured string
		pass     bool
		detail   string
	}{
		{"bare metric is its last sample", "keepalive.online_ratio >= 0.999", nil, ">= 0.999", "0.9987", false, ""},
		{"bare metric is the last sample in the window", "keepalive.online_ratio == 1 before 30s", nil, "== 1", "1", true, ""},
		{"pNN is nearest-rank; a metric shows in the unit of the other side", "p95(command.latency) < 2s", nil, "< 2s", "1.9s", true, ""},
		{"first in time", "first(command.latency) == 100ms", nil, "== 100ms", "100ms", true, ""},
		{"last in time", "last(command.latency) >= 2s", nil, ">= 2s", "2s", true, ""},
		{"min", "min(command.latency) > 0", nil, "> 0", "0.1", true, ""},
		{"mean, written avg", "avg(command.latency) <= 1.05s", nil, "<= 1.05s", "1.05s", true, ""},
		{"ratio after 10s: no replies during the reboot", "count(echo.reply) / count(echo.request) >= 0.99 after 10s", nil, ">= 0.99", "0.8", false, ""},
		{"ratio as a percent", "count(echo.reply) / count(echo.request) >= 99.9%", nil, ">= 99.9%", "83.33%", false, ""},
		{"outside a named interval", "count(echo.reply) / count(echo.request) >= 99% outside reboot1", nil, ">= 99%", "100%", true, ""},
		{"during fault: any fault interval", "max(echo.reply.rtt) <= 250ms during fault", nil, "<= 250ms", "300ms", false, ""},
		{"during a named interval", "sum(echo.reply) == 0 during reboot1", nil, "== 0", "0", true, ""},
		{"during: From included, To excluded", "count(echo.request) == 10 during reboot1", nil, "== 10", "10", true, ""},
		{"overlapping intervals are merged, not counted twice", "count(echo.request) == 10 during link-down", nil, "== 10", "10", true, ""},
		{"after D keeps T >= D", "count(echo.request) == 50 after 10s", nil, "== 50", "50", true, ""},
		{"before D keeps T < D", "count(echo.request) > 0 before 30s", nil, "> 0", "30", true, ""},
		{"between D1 and D2 keeps D1 <= T < D2", "count(echo.request) == 10 between 10s and 20s", nil, "== 10", "10", true, ""},
		{"the run is [0, End]: negative and late samples are out", "count(edges) == 2", nil, "== 2", "2", true, ""},
		{"no End: no upper bound on samples", "count(edges) == 3", noEnd, "== 3", "3", true, ""},
		{"count of no samples is 0", "count(missing) == 0", nil, "== 0", "0", true, ""},
		{"sum of no samples is 0", "sum(missing) == 0", nil, "== 0", "0", true, ""},
		{"max of no samples is undefined", "max(echo.reply.rtt) <= 250ms during reboot1", nil, "<= 250ms", "no samples", false,
			"no samples of echo.reply.rtt during reboot1"},
		{"a bare metric of no samples is undefined", "missing < 1", nil, "< 1", "no samples", false, "no samples of missing in the whole run"},
		{"mean of no samples in a window past the end", "mean(echo.reply.rtt) - 1 > 0.5 between 1m and 2m", nil, "> 0.5", "no samples", false,
			"no samples of echo.reply.rtt between 1m and 2m"},
		{"undefined right side", "p95(command.latency) < p50(missing)", nil, "< no samples", "1.9", false, "no samples of missing in the whole run"},
		{"computed right side", "count(echo.reply) < count(echo.request)", nil, "< 60", "50", true, ""},
		{"division by zero fails", "count(echo.request) / count(missing) > 0", nil, "> 0", "undefined", false,
			"division by zero: count(missing) is 0 in the whole run"},
		{"division by zero in a window", "count(echo.reply) / count(echo.reply) == 1 during reboot1", nil, "== 1", "undefined", false,
			"division by zero: count(echo.reply) is 0 during reboot1"},
		{"overflow to NaN fails", "max(big) * 10 - max(big) * 10 == 0", nil, "== 0", "undefined", false,
			"max(big) * 10 - max(big) * 10 is not a number in the whole run"},
		{"rate divides by the run length", "rate(echo.request) == 1", nil, "== 1", "1", true, ""},
		{"rate after D divides by End - D", "rate(echo.reply) < 1 after 30s", nil, "< 1", "1", false, ""},
		{"rate during divides by the intervals' total length", "rate(echo.request) == 1 during fault", nil, "== 1", "1", true, ""},
		{"rate outside divides by the rest of the run", "rate(echo.reply) == 1 outside fault", nil, "== 1", "1", true, ""},
		{"rate before D needs no End", "rate(echo.request) == 1 before 30s", noEnd, "== 1", "1", true, ""},
		{"rate of the whole run needs End", "rate(echo.request) > 0", noEnd, "> 0", "undefined", false,
			"rate(echo.request) needs the window length, but Env.End (the scenario duration) is not set"},
		{"rate over an empty window", "rate(echo.request) > 0 between 1m and 2m", nil, "> 0", "undefined", false,
			"rate(echo.request): the window between 1m and 2m has zero length"},
		{"during an unknown name fails", "sum(x) == 0 during nosuch", nil, "== 0", "undefined", false,
			`no fault interval named "nosuch" in this run (during nosuch)`},
		{"outside an unknown name fails", "sum(x) == 0 outside nosuch", nil, "== 0", "undefined", false,
			`no fault interval named "nosuch" in this run (outside nosuch)`},
		{"an empty interval does not count as a fault named so", "sum(x) == 0 during never", nil, "== 0", "undefined", false,
			`no fault interval named "never" in this run (during never)`},
		{"during fault with no faults fails", "sum(x) == 0 during fault", noFaults, "== 0", "undefined", false,
			"no fault intervals in this run (during fault)"},
		{"outside fault with no faults is the whole run", "count(echo.request) == 60 outside fault", noFaults, "== 60", "60", true, ""},
		{"no metrics source", "count(x) == 0", noMetrics, "== 0", "undefined", false,
			"no metrics to evaluate count(x) against (Env.Metrics is nil)"},
		{"constants need no samples", "1 + 2 * 3 == 7", noMetrics, "== 7", "7", true, ""},
		{"precedence and unary minus", "-min(command.latency) * 2 + 1 > 0.75", nil, "> 0.75", "0.8", true, ""},
		{"durations add", "max(command.latency) + 500ms < 2.5s", nil, "< 2.5s", "2.5s", false, ""},
		{"a measured value is not rounded onto the threshold", "ratio >= 0.9995", nil, ">= 0.9995", "0.99949", false, ""},
		{"nor a measured duration", "rtt.edge <= 250ms", nil, "<= 250ms", "250.0004ms", false, ""},
		{"== shows the difference", "ratio == 0.9995", nil, "== 0.9995", "0.99949", false, ""},
		{"4 significant digits otherwise", "mean(echo.reply.rtt) < 1s", nil, "< 1s", "50ms", true, ""},
		{"p999", "p999(echo.reply.rtt) < 1s outside fault", nil, "< 1s", "10ms", true, ""},
		{"4 significant digits of a duration", "mean(echo.reply.rtt) < 1s outside reboot1", nil, "< 1s", "50ms", true, ""},
		{"rounded to 4 digits", "mean(command.latency) / 3 < 1s", nil, "< 1s", "350ms", true, ""},
		{"!= passes on a difference", "count(echo.reply) != 0", nil, "!= 0", "50", true, ""},
		{"recovery: the slowest device after any fault (a, 7s after reboot1)", "recovery(dev.ok) <= 7s", nil, "<= 7s", "7s", true, ""},
		{"recovery during NAME: only those faults (a, 2s after link-down at 40s; the next fault at 44s ends the stretch)", "recovery(dev.ok) <= 1s during link-down", nil, "<= 1s", "2s", false, ""},
		{"recovery after D: faults that start after D", "recovery(dev.ok) == 2s after 30s", nil, "== 2s", "2s", true, ""},
		{"recovery outside NAME: the other faults", "recovery(dev.ok) == 7s outside link-down", nil, "== 7s", "7s", true, ""},
		{"recovery between: a fault starting inside", "recovery(dev.ok) == 0s between 50s and 1m", nil, "== 0s", "0s", true, ""},
		{"recovery counts a zero-length fault (a WAN change)", "recovery(dev.ok) == 0s during never", nil, "== 0s", "0s", true, ""},
		{"recovery fails naming a device still broken before the next fault", "recovery(stuck.ok) < 1m", nil, "< 1m", "undefined", false,
			"recovery(stuck.ok): not recovered (last stuck.ok 0, or none, by the end): x after link-down at 44s; x after never at 55s"},
		{"a fault that starts while a device is broken does not end its stretch", "recovery(late.ok) == 7s during link-down", nil, "== 7s", "7s", true, ""},
		{"recovery fails for a device with no sample after the fault", "recovery(gap.ok) < 1m before 30s", nil, "< 1m", "undefined", false,
			"recovery(gap.ok): not recovered (last gap.ok 0, or none, by the end): y after reboot1 at 20s"},
		{"recovery with no fault selected has no value", "recovery(dev.ok) < 1m", noFaults, "< 1m", "undefined", false,
			"recovery(dev.ok): no fault to recover from in the whole run"},
		{"recovery of a metric nobody reported has no value", "recovery(missing) == 0s", nil, "== 0s", "no samples", false, "no samples of missing in the whole run"},
		{"recovery without metrics", "recovery(dev.ok) < 1s", noMetrics, "< 1s", "undefined", false,
			"no metrics to evaluate recovery(dev.ok) against (Env.Metrics is nil)"},
	}
	for _, tt := range tests {
		a, err := Parse(tt.src)
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", tt.spec, tt.src, err)
			continue
		}
		env := testEnv()
		if tt.env != nil {
			env = tt.env(env)
		}
		got := a.Eval(env)
		if got.Expr != a.String() || got.Expected != tt.expected || got.Measured != tt.measured || got.Pass != tt.pass || got.Detail != tt.detail {
			t.Errorf("%s: %s\n got expected %q measured %q pass %v detail %q\nwant expected %q measured %q pass %v detail %q",
				tt.spec, tt.src, got.Expected, got.Measured, got.Pass, got.Detail, tt.expected, tt.measured, tt.pass, tt.detail)
		}
		if _, err := json.Marshal(got); err != nil {
			t.Errorf("%s: json.Marshal(Result): %v", tt.spec, err)
		}
	}
}

func TestEvalValue(t *testing.T) {
	a, _ := Parse("p95(command.latency) < 2s")
	if got := a.Eval(testEnv()).Value; got != 1.9 {
		t.Errorf("Value = %v, want 1.9 (the exact left side)", got)
	}
	a, _ = Parse("missing < 1")
	if got := a.Eval(testEnv()).Value; got != 0 {
		t.Errorf("Value of an undefined side = %v, want 0 (JSON has no NaN)", got)
	}
}

// unsorted is a Source that returns samples out of time order.
type unsorted []metrics.Sample

func (u unsorted) Series(string) []metrics.Sample { return u }

func TestEvalUnsortedSource(t *testing.T) {
	env := Env{Metrics: unsorted{{T: 3 * s, V: 3}, {T: 1 * s, V: 1}, {T: 2 * s, V: 2}}, End: 10 * s}
	for src, want := range map[string]float64{"first(x) == 1": 1, "last(x) == 3": 3, "x == 3": 3} {
		a, _ := Parse(src)
		if r := a.Eval(env); !r.Pass || r.Value != want {
			t.Errorf("%s on an unsorted source = %+v, want pass with value %v", src, r, want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		v    float64
		u    unit
		want string
	}{
		{0.99873, unitNone, "0.9987"},
		{1234.5678, unitNone, "1235"},
		{123456.7, unitNone, "123457"},
		{0.000123456, unitNone, "0.0001235"},
		{1e-9, unitNone, "1e-09"},
		{2.5e20, unitNone, "2.5e+20"},
		{-1.5, unitNone, "-1.5"},
		{0, unitNone, "0"},
		{1.2345678, unitDur, "1.235s"},
		{90, unitDur, "1m30s"},
		{0.0005, unitDur, "500µs"},
		{-0.25, unitDur, "-250ms"},
		{0.9987, unitPct, "99.87%"},
		{math.Inf(1), unitNone, "+Inf"},
	}
	for _, tt := range tests {
		if got := formatValue(tt.v, tt.u, 4); got != tt.want {
			t.Errorf("formatValue(%v, %v, 4) = %q, want %q", tt.v, tt.u, got, tt.want)
		}
	}
	if got := formatExact(2.0/3, unitNone); got != "0.6666666666666666" {
		t.Errorf("formatExact(2/3) = %q, want all the digits", got)
	}
}
