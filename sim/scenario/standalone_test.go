package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	withEcho := &Scenario{Topology: Topology{Servers: []Server{{Name: "echo"}}}}
	for _, tc := range []struct {
		name, role, text string
		s                *Scenario
		want             []string // error lines; none: it decodes
		check            func(t *testing.T, v any)
	}{
		{name: "defaults kept", role: "udp-echo", text: "",
			check: func(t *testing.T, v any) {
				if v.(*echoOptions).Port != 7 {
					t.Errorf("port %d, want the default 7", v.(*echoOptions).Port)
				}
			}},
		{name: "null is no options", role: "udp-echo", text: "~"},
		{name: "flow mapping", role: "udp-pinger", text: "{server: echo, interval: 250ms}", s: withEcho,
			check: func(t *testing.T, v any) {
				o := v.(*pingerOptions)
				if o.Server != "echo" || time.Duration(o.Interval) != 250*time.Millisecond {
					t.Errorf("decoded %+v", o)
				}
			}},
		{name: "block mapping", role: "udp-echo", text: "port: 9\n",
			check: func(t *testing.T, v any) {
				if v.(*echoOptions).Port != 9 {
					t.Errorf("port %d", v.(*echoOptions).Port)
				}
			}},
		{name: "unknown key with suggestion", role: "udp-echo", text: "{prot: 9}",
			want: []string{`--options:1:2: unknown field "prot" in udp-echo options; want one of port; did you mean port?`}},
		{name: "wrong type", role: "udp-echo", text: "{port: seven}",
			want: []string{`--options:1:8: port: want an integer; got string "seven"`}},
		{name: "not a mapping", role: "udp-echo", text: "[1, 2]",
			want: []string{"--options:1:1: options: want a mapping; got a sequence"}},
		{name: "check runs: no such server", role: "udp-pinger", text: "{server: nowhere}", s: withEcho,
			want: []string{`--options:1:2: server: no server named "nowhere"`}},
		{name: "check runs without a scenario", role: "udp-pinger", text: "{server: echo}",
			want: []string{`--options:1:2: server: no server named "echo"`}},
		{name: "check error on a key not written", role: "udp-pinger", text: "{interval: 1s}", s: withEcho,
			want: []string{"--options:1:1: options.server: want the name of a server to ping"}},
		{name: "role with no options", role: "silent", text: "{a: 1}",
			want: []string{"--options:1:1: options: role silent takes no options"}},
		{name: "YAML syntax", role: "udp-echo", text: "{port: 9",
			want: []string{"--options:"}},
		{name: "two documents", role: "udp-echo", text: "port: 9\n---\nport: 8\n",
			want: []string{"--options:2:1: a second YAML document; want one options mapping"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := testCatalog{}.RoleOptions(tc.role)
			if !ok {
				t.Fatalf("no role %s", tc.role)
			}
			err := ParseOptions("--options", []byte(tc.text), tc.role, v, tc.s)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tc.check != nil {
					tc.check(t, v)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("errors:\n%s\nwant %d lines", err, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d: %q; want %q", i, lines[i], w)
				}
			}
		})
	}
}

func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{"", "{server: echo}", "{interval: 1s, server: x}", "[1]", "a: &a [*a]", "{port: 9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, _ := testCatalog{}.RoleOptions("udp-pinger")
		ParseOptions("fuzz", []byte(text), "udp-pinger", v, nil)
	})
}
