package journal

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/metrics"
)

// appendJSON must write exactly what json.Marshal writes.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	for _, s := range []string{"", "acs.keepalive", "198.18.0.7:7547", "home12-stb3", `a"b`, `back\slash`, "tab\there",
		"<html>&", "caf\u00e9", "\x7f", "\xff bad utf-8", "line\nbreak", "\u2028"} {
		want, _ := json.Marshal(s)
		if got := string(appendJSON(nil, s)); got != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("acs.keepalive")
	f.Add("a\"<\\>\x00\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := string(appendJSON(nil, s)); got != string(want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

// BenchmarkKeepaliveEvent is the acs's per-keepalive event through the
// journal (JSON line and metric sample); the baseline is the same call on a
// logger that discards, measured in the same run.
func BenchmarkKeepaliveEvent(b *testing.B) {
	from := netip.MustParseAddrPort("198.18.12.34:61234")
	run := func(log *slog.Logger) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				log.Info("acs.keepalive", "device", "home1234-stb2", "from", from.String(), "dialect", "rfc3489", "binding_change", false)
			}
		}
	}
	b.Run("journal", run(New(io.Discard, clock.New(10), metrics.NewStore()).Logger("acs")))
	b.Run("baseline-discard", run(slog.New(slog.DiscardHandler)))
}
