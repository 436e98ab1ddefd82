package standalone

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/echo"
	"github.com/boxlab/boxlab/devices/stb"
)

func TestFromEnviron(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		want    Where
		err     string
	}{
		{name: "nothing set: defaults", environ: []string{"PATH=/bin", "HOME=/root"},
			want: Where{Speed: 1, Servers: map[string]netip.Addr{}}},
		{name: "everything the exec role exports",
			environ: []string{"BOXLAB_NODE=home0-stb0", "BOXLAB_ADDR=192.168.1.100", "BOXLAB_PUBLIC=198.18.0.2",
				"BOXLAB_SPEED=4", "BOXLAB_SERVER_ACS=198.19.0.2", "BOXLAB_SERVER_RATINGS_EU=198.19.0.3"},
			want: Where{Node: "home0-stb0", Addr: netip.MustParseAddr("192.168.1.100"), Public: netip.MustParseAddr("198.18.0.2"),
				Speed: 4, Servers: map[string]netip.Addr{"acs": netip.MustParseAddr("198.19.0.2"), "ratings-eu": netip.MustParseAddr("198.19.0.3")}}},
		{name: "fractional speed", environ: []string{"BOXLAB_SPEED=0.5"},
			want: Where{Speed: 0.5, Servers: map[string]netip.Addr{}}},
		{name: "a bare prefix is no server", environ: []string{"BOXLAB_SERVER_=1.2.3.4", "NOEQUALS"},
			want: Where{Speed: 1, Servers: map[string]netip.Addr{}}},
		{name: "bad values, each named", environ: []string{"BOXLAB_ADDR=home", "BOXLAB_SPEED=0", "BOXLAB_SERVER_ACS=x", "BOXLAB_PUBLIC="},
			err: `environment: BOXLAB_ADDR="home": want an IP address; BOXLAB_SPEED="0": want a clock speed > 0 (simulated seconds per real second); BOXLAB_SERVER_ACS="x": want an IP address; BOXLAB_PUBLIC="": want an IP address`},
		{name: "speed not a number", environ: []string{"BOXLAB_SPEED=fast"}, err: `BOXLAB_SPEED="fast"`},
		{name: "speed NaN", environ: []string{"BOXLAB_SPEED=NaN"}, err: `BOXLAB_SPEED="NaN"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromEnviron(tc.environ)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v; want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Node != tc.want.Node || got.Addr != tc.want.Addr || got.Public != tc.want.Public || got.Speed != tc.want.Speed {
				t.Errorf("got %+v; want %+v", got, tc.want)
			}
			if len(got.Servers) != len(tc.want.Servers) {
				t.Fatalf("servers %v; want %v", got.Servers, tc.want.Servers)
			}
			for n, a := range tc.want.Servers {
				if got.Servers[n] != a {
					t.Errorf("server %s = %v; want %v", n, got.Servers[n], a)
				}
			}
		})
	}
}

func registry(t *testing.T) *devices.Registry {
	t.Helper()
	r, err := devices.NewRegistry(echo.Roles(), stb.KeepaliveRoles(), acs.Roles())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOptions(t *testing.T) {
	withACS := Where{Speed: 1, Servers: map[string]netip.Addr{"acs": netip.MustParseAddr("198.19.0.2")}}
	for _, tc := range []struct {
		name, role, text string
		where            Where
		err              string
		check            func(t *testing.T, v any)
	}{
		{name: "stb with its acs server exported", role: "stb", text: "{acs: acs, dialect: rfc5389, period: 5s}", where: withACS,
			check: func(t *testing.T, v any) {
				o := v.(*stb.KeepaliveOptions)
				if o.ACS != "acs" || o.Dialect != "rfc5389" || o.ACSPort != 7547 {
					t.Errorf("decoded %+v (defaults must stay)", o)
				}
			}},
		{name: "stb naming a server the run does not have", role: "stb", text: "{acs: tr069}", where: withACS,
			err: `--options:1:2: acs: no server named "tr069"`},
		{name: "stb without acs", role: "stb", text: "", where: withACS,
			err: `--options:1:1: options: missing "acs"; want the name of an acs server`},
		{name: "acs defaults", role: "acs", text: "",
			check: func(t *testing.T, v any) {
				if o := v.(*acs.Options); o.HTTPPort != 7547 || o.STUNPort != 3478 {
					t.Errorf("defaults lost: %+v", o)
				}
			}},
		{name: "acs check runs", role: "acs", text: "{copies: 0, period: 10s}",
			err: "--options:1:2: copies: want 1..10; got 0"},
		{name: "unknown option", role: "udp-echo", text: "{portt: 9}",
			err: `unknown field "portt" in udp-echo options`},
		{name: "unknown role", role: "stbx", err: `unknown role "stbx"; want one of acs, stb, udp-echo, udp-pinger`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.where
			if w.Servers == nil {
				w = Where{Speed: 1, Servers: map[string]netip.Addr{}}
			}
			v, err := Options(registry(t), tc.role, "--options", []byte(tc.text), w)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v; want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, v)
		})
	}
}

func TestGlobalAddrs(t *testing.T) {
	in := []net.Addr{
		&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
		&net.IPNet{IP: net.ParseIP("fe80::1"), Mask: net.CIDRMask(64, 128)},
		&net.IPNet{IP: net.ParseIP("192.168.1.100").To16(), Mask: net.CIDRMask(24, 32)},
		&net.IPAddr{IP: net.ParseIP("198.19.0.3")},
		&net.UnixAddr{Name: "x"},
		&net.IPNet{IP: net.ParseIP("2001:db8::1"), Mask: net.CIDRMask(64, 128)},
	}
	got := GlobalAddrs(in)
	want := []netip.Addr{netip.MustParseAddr("192.168.1.100"), netip.MustParseAddr("198.19.0.3")}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %v; want %v", got, want)
	}
	own := ownAddrs(netip.MustParseAddr("198.19.0.3"), got)
	if len(own) != 2 || own[0] != want[1] || own[1] != want[0] {
		t.Fatalf("ownAddrs %v: BOXLAB_ADDR first, no repeat", own)
	}
	if len(ownAddrs(netip.Addr{}, nil)) != 0 {
		t.Fatal("no address at all must stay empty")
	}
}
