package ratings

import (
	"strings"
	"testing"
	"time"
)

func TestParseCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want viewerCommand
		err  bool
	}{
		{in: "WATCH u 01", want: viewerCommand{verb: "WATCH", user: "u", service: "01"}},
		{in: "RESUME s1", want: viewerCommand{verb: "RESUME", session: "s1"}},
		{in: "STOP", want: viewerCommand{verb: "STOP", until: -1}},
		{in: "STOP 90500", want: viewerCommand{verb: "STOP", until: 90500 * time.Millisecond}},
		{in: strings.TrimSuffix(StopLine(61*time.Second), "\n"), want: viewerCommand{verb: "STOP", until: 61 * time.Second}},
		{in: "STOP -1", err: true},
		{in: "STOP x", err: true},
		{in: "STOP 1 2", err: true},
		{in: "STOP 99999999999999999999", err: true},
		{in: "WATCH u", err: true},
		{in: "RESUME", err: true},
		{in: "WATCH u\x01 01", err: true},
		{in: "", err: true},
	} {
		got, err := parseCommand(c.in)
		if c.err {
			if err == nil {
				t.Errorf("parseCommand(%q) = %+v; want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseCommand(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseStreamLine(t *testing.T) {
	f := Frame{Seq: 3, At: 61500 * time.Millisecond, Program: "01-001"}
	if l, err := ParseStreamLine(strings.TrimSuffix(FrameLine(f), "\n")); err != nil || l.Kind != "FRAME" || l.Frame != f {
		t.Errorf("frame round trip: %+v, %v", l, err)
	}
	if l, err := ParseStreamLine("END 90000"); err != nil || l.End != 90*time.Second {
		t.Errorf("END: %+v, %v", l, err)
	}
	for _, bad := range []string{"FRAME 1 -5 p", "FRAME 1 9223372036854775807 p", "END 9223372036854775807", "FRAME x 1 p", "FRAME 1 1", "END", "END -1", "SESSION", "SESSION a b", "NOPE", strings.Repeat("x", maxLine+1)} {
		if _, err := ParseStreamLine(bad); err == nil {
			t.Errorf("ParseStreamLine(%q) accepted", bad)
		}
	}
}

// FuzzParseCommand: a viewer's line never panics the server, and a STOP
// it accepts names a time in range.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"WATCH u 01", "RESUME s1", "STOP", "STOP 61000", "STOP -1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCommand(s)
		if err == nil && c.verb == "STOP" && (c.until < -1 || c.until > maxStreamMS*time.Millisecond) {
			t.Fatalf("%q: STOP until %v", s, c.until)
		}
	})
}

// FuzzParseStreamLine: a server's line never panics a viewer.
func FuzzParseStreamLine(f *testing.F) {
	for _, s := range []string{"SESSION s1", "FRAME 1 1000 01-000", "END 5", "ERR x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseStreamLine(s)
		if err == nil && (l.Kind == "" || l.Frame.At < 0 || l.End < 0) {
			t.Fatalf("%q parsed as %+v", s, l)
		}
	})
}
