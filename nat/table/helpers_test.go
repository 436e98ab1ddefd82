package table

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Endpoints used throughout the tests.
const (
	h1 = "192.168.1.10"
	h2 = "192.168.1.11"
	w1 = "203.0.113.1"
	w2 = "203.0.113.2"
	r1 = "198.51.100.1"
	r2 = "198.51.100.2"
)

const (
	sec = time.Second
	min = time.Minute
)

var wan1 = []netip.Addr{netip.MustParseAddr(w1)}
var wan2 = []netip.Addr{netip.MustParseAddr(w1), netip.MustParseAddr(w2)}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func udp(src, dst string) Flow { return Flow{Proto: UDP, Src: ap(src), Dst: ap(dst)} }
func tcp(src, dst string, flags uint8) Flow {
	return Flow{Proto: TCP, Src: ap(src), Dst: ap(dst), Flags: flags}
}
func icmp(src, dst string) Flow { return Flow{Proto: ICMP, Src: ap(src), Dst: ap(dst)} }

// show renders a verdict as "fwd src>dst", "hairpin src>dst" or "drop reason".
func show(v Verdict) string {
	switch v.Action {
	case Forward:
		return fmt.Sprintf("fwd %v>%v", v.Out.Src, v.Out.Dst)
	case Hairpin:
		return fmt.Sprintf("hairpin %v>%v", v.Out.Src, v.Out.Dst)
	}
	return "drop " + v.Reason
}

// match compares a verdict with want; a want of one word checks only the action.
func match(got, want string) bool {
	if !strings.Contains(want, " ") {
		return strings.SplitN(got, " ", 2)[0] == want
	}
	return got == want
}

// step is one thing done to a table in a scripted test, and what it must give.
type step struct {
	at    time.Duration
	op    string // out, in, ierr, oerr, expire, add, len, state
	f     Flow
	inner Flow
	pm    PortMapping
	want  string // verdict (out, in, *err), wanted inner flow after "|" for errors, state for "state", "err" for add
	n     int
}

func out(at time.Duration, f Flow, want string) step {
	return step{at: at, op: "out", f: f, want: want}
}
func in(at time.Duration, f Flow, want string) step { return step{at: at, op: "in", f: f, want: want} }
func ierr(at time.Duration, outer, inner Flow, want string) step {
	return step{at: at, op: "ierr", f: outer, inner: inner, want: want}
}
func oerr(at time.Duration, outer, inner Flow, want string) step {
	return step{at: at, op: "oerr", f: outer, inner: inner, want: want}
}
func expire(at time.Duration, n int) step { return step{at: at, op: "expire", n: n} }
func add(at time.Duration, pm PortMapping, want string) step {
	return step{at: at, op: "add", pm: pm, want: want}
}
func length(n int) step { return step{op: "len", n: n} }

// state checks the TCP state and expiry of the mapping of internal at.
func state(at time.Duration, internal, st string, expires time.Duration) step {
	return step{at: at, op: "state", f: Flow{Src: ap(internal)}, want: st, n: int(expires)}
}

// run plays steps on tab, failing t on the first mismatch of each step.
func run(t *testing.T, tab *Table, steps []step) {
	t.Helper()
	for i, s := range steps {
		switch s.op {
		case "out", "in":
			var v Verdict
			if s.op == "out" {
				v = tab.Outbound(s.at, s.f)
			} else {
				v = tab.Inbound(s.at, s.f)
			}
			if got := show(v); !match(got, s.want) {
				t.Errorf("step %d %s %v %v>%v flags %#x at %v: got %q; want %q", i, s.op, s.f.Proto, s.f.Src, s.f.Dst, s.f.Flags, s.at, got, s.want)
			}
		case "ierr", "oerr":
			var v Verdict
			var inner Flow
			if s.op == "ierr" {
				v, inner = tab.InboundICMPError(s.at, s.f, s.inner)
			} else {
				v, inner = tab.OutboundICMPError(s.at, s.f, s.inner)
			}
			got := show(v)
			if v.Action != Drop {
				got += fmt.Sprintf("|%v>%v", inner.Src, inner.Dst)
			}
			if !match(got, s.want) {
				t.Errorf("step %d %s at %v: got %q; want %q", i, s.op, s.at, got, s.want)
			}
		case "expire":
			if n := tab.Expire(s.at); n != s.n {
				t.Errorf("step %d Expire(%v) = %d; want %d", i, s.at, n, s.n)
			}
		case "add":
			pm, err := tab.AddPortMapping(s.at, s.pm)
			got := "ok " + pm.External.String()
			if err != nil {
				got = "err"
			}
			if !match(got, s.want) {
				t.Errorf("step %d AddPortMapping(%+v) = %q (%v); want %q", i, s.pm, got, err, s.want)
			}
		case "len":
			if n := tab.Len(); n != s.n {
				t.Errorf("step %d Len() = %d; want %d", i, n, s.n)
			}
		case "state":
			found := false
			for _, m := range tab.Mappings(s.at) {
				if m.Internal == s.f.Src {
					found = true
					if m.State != s.want || m.Expires != time.Duration(s.n) {
						t.Errorf("step %d mapping of %v at %v: state %q expires %v; want %q expires %v", i, s.f.Src, s.at, m.State, m.Expires, s.want, time.Duration(s.n))
					}
				}
			}
			if !found {
				t.Errorf("step %d: no mapping of %v at %v", i, s.f.Src, s.at)
			}
		}
	}
}

// newTable makes a table or fails the test.
func newTable(t testing.TB, b Behavior, wan []netip.Addr) *Table {
	t.Helper()
	tab, err := New(b, wan, 1)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}
