package mapmon

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseReport(t *testing.T) {
	ext := netip.MustParseAddrPort("20.0.0.3:7000")
	for _, tc := range []struct {
		in   string
		want Report
		ok   bool
	}{
		{"MAP home0-dev0 20.0.0.3:7000", Report{"home0-dev0", ext, ProbeUDP}, true},
		{"MAP home0-dev0 20.0.0.3:7000 udp", Report{"home0-dev0", ext, ProbeUDP}, true},
		{"MAP home0-dev0 20.0.0.3:7000 tcp", Report{"home0-dev0", ext, ProbeTCP}, true},
		{"MAP home0-dev0 [::ffff:20.0.0.3]:7000", Report{"home0-dev0", ext, ProbeUDP}, true},
		{"MAP home0-dev0 20.0.0.3:7000 sctp", Report{}, false},
		{"MAP home0-dev0 20.0.0.3:0", Report{}, false},
		{"MAP home0-dev0 [2001:db8::1]:7000", Report{}, false},
		{"MAP home0-dev0", Report{}, false},
		{"MAP a b c d e", Report{}, false},
		{"PING 1", Report{}, false},
		{"", Report{}, false},
		{"MAP " + strings.Repeat("x", 600) + " 20.0.0.3:7000", Report{}, false},
	} {
		got, ok := ParseReport([]byte(tc.in))
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseReport(%.40q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok {
			again, ok2 := ParseReport([]byte(got.String()))
			if !ok2 || again != got {
				t.Errorf("ParseReport(%q.String() = %q) = %+v, %v", tc.in, got.String(), again, ok2)
			}
		}
	}
}

func TestPingPong(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"PING 7", "PONG 7", true},
		{"PING 18446744073709551615", "PONG 18446744073709551615", true},
		{"PING 18446744073709551616", "", false},
		{"PING ", "", false},
		{"PING -1", "", false},
		{"PONG 7", "", false},
		{"REMAP", "", false},
	} {
		got, ok := Pong([]byte(tc.in))
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("Pong(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if seq, ok := ParsePong([]byte("PONG 42")); !ok || seq != 42 {
		t.Errorf("ParsePong(PONG 42) = %d, %v", seq, ok)
	}
	if got, _ := Pong(Ping(9)); string(got) != "PONG 9" {
		t.Errorf("Pong(Ping(9)) = %q", got)
	}
}

// FuzzParseReport: reports and probes from the network never panic, and a
// parsed report's wire form parses back to itself.
func FuzzParseReport(f *testing.F) {
	for _, s := range []string{"MAP home0-dev0 20.0.0.3:7000", "MAP n 1.2.3.4:5 tcp", "PING 1", "PONG 2", "MAP x [::1]:1", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, ok := ParseReport(b); ok {
			again, ok := ParseReport([]byte(r.String()))
			if !ok || again != r {
				t.Fatalf("ParseReport(%q) = %+v; its String %q parses to %+v, %v", b, r, r.String(), again, ok)
			}
		}
		Pong(b)
		ParsePong(b)
	})
}
