package exec

import (
	"net/netip"
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
