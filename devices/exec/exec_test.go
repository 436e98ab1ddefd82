package exec

import (
	"context"
	"log/slog"
	"net/netip"
	osexec "os/exec"
	"slices"
	"testing"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/clock"
)

func TestEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name  string
		speed float64
		want  []string
	}{
		{name: "speed 2", speed: 2, want: []string{"BOXLAB_NODE=home0-stb0", "BOXLAB_ADDR=192.168.1.100", "BOXLAB_SPEED=2",
			"BOXLAB_PUBLIC=198.18.0.2", "BOXLAB_SERVER_ACS=198.19.0.2", "BOXLAB_SERVER_RATINGS_EU=198.19.0.3", "A=1", "B=2"}},
		{name: "fractional speed", speed: 0.25, want: []string{"BOXLAB_NODE=home0-stb0", "BOXLAB_ADDR=192.168.1.100", "BOXLAB_SPEED=0.25",
			"BOXLAB_PUBLIC=198.18.0.2", "BOXLAB_SERVER_ACS=198.19.0.2", "BOXLAB_SERVER_RATINGS_EU=198.19.0.3", "A=1", "B=2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &devices.Env{Node: "home0-stb0", Addr: netip.MustParseAddr("192.168.1.100"), Clock: clock.New(tc.speed),
				Public:  func() netip.Addr { return netip.MustParseAddr("198.18.0.2") },
				Servers: map[string]netip.Addr{"ratings-eu": netip.MustParseAddr("198.19.0.3"), "acs": netip.MustParseAddr("198.19.0.2")}}
			got := environment(env, map[string]string{"B": "2", "A": "1"})
			if !slices.Equal(got, tc.want) {
				t.Fatalf("environment:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// recorder keeps the attributes of every event logged through it.
type recorder struct {
	events map[string]map[string]slog.Value
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	attrs := map[string]slog.Value{}
	rec.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
	r.events[rec.Message] = attrs
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func TestExitReportsUsage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		command []string
		code    int64
	}{
		{"a program that spends CPU", []string{"/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"}, 0},
		{"a failing program", []string{"/bin/sh", "-c", "exit 3"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{events: map[string]map[string]slog.Value{}}
			env := &devices.Env{Log: slog.New(rec)}
			cmd := osexec.Command(tc.command[0], tc.command[1:]...)
			err := exited(env, cmd, cmd.Run())
			if (err != nil) != (tc.code != 0) {
				t.Fatalf("exited: %v; want an error only for a non-zero exit", err)
			}
			ev := rec.events["exec.exit"]
			if ev["code"].Int64() != tc.code {
				t.Errorf("code %v; want %d", ev["code"], tc.code)
			}
			if ev["cpu"].Kind() != slog.KindDuration || ev["max_rss"].Float64() <= 0 {
				t.Errorf("usage: cpu %v, max_rss %v; want a duration and a positive size", ev["cpu"], ev["max_rss"])
			}
			if tc.code == 0 && ev["cpu"].Duration() <= 0 {
				t.Errorf("cpu %v for a busy loop; want > 0", ev["cpu"])
			}
		})
	}
}
