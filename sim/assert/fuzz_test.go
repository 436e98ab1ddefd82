package assert

import (
	"errors"
	"testing"
	"time"

	"github.com/boxlab/boxlab/sim/metrics"
)

// FuzzParse checks that Parse never panics, fails only with *SyntaxError at an
// offset inside the source, and that a parsed assertion's canonical String
// parses back to the same String. Eval must not panic either.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"keepalive.online_ratio >= 0.999",
		"p95(command.latency) < 2s",
		"count(echo.reply) / count(echo.request) >= 0.99 after 10s",
		"max(echo.reply.rtt) <= 250ms during fault",
		"sum(x) == 0 during reboot1",
		"mean(a.b) - 1 > 0.5 between 1m and 2m",
		"count(echo.request) > 0 before 30s",
		"-(a + b) * --c / 1e-3 != 99.9% outside gateway-reboot",
		"rate(x) < 1h30m15.5s",
		"p999(x) > 500µs",
		"x < 1.",
		"p100(x) < 1e999",
		"recovery(mapmon.probe.valid) <= 16s during renumber",
		"recovery(x) - max(y) > 1s outside fault",
	} {
		f.Add(seed)
	}
	st := metrics.NewStore()
	for i, key := range []string{"a", "b", "", "a"} {
		st.ObserveKey("x", key, time.Duration(i)*time.Second, float64(i%2))
	}
	env := Env{Metrics: st, End: time.Minute,
		Faults: []metrics.Interval{{Name: "reboot1", From: time.Second, To: 2 * time.Second}, {Name: "renumber", From: 3 * time.Second, To: 3 * time.Second}}}
	f.Fuzz(func(t *testing.T, src string) {
		a, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", src, err)
			}
			if se.Offset < 0 || se.Offset > len(src) {
				t.Fatalf("Parse(%q) error offset %d outside the source", src, se.Offset)
			}
			return
		}
		canon := a.String()
		b, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", src, canon, err)
		}
		if b.String() != canon {
			t.Fatalf("Parse(%q) = %q, which parses to %q", src, canon, b.String())
		}
		_ = a.Eval(env)
	})
}
