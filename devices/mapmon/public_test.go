package mapmon

import (
	"net/netip"
	"testing"
)

func TestPublic(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"20.0.0.3", true},
		{"8.8.8.8", true},
		{"100.63.255.255", true},
		{"100.64.0.2", false}, // RFC 6598, a CGNAT's customer side
		{"100.127.255.255", false},
		{"100.128.0.0", true},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"127.0.0.1", false},
		{"0.0.0.0", false},
		{"169.254.1.1", false},
		{"224.0.0.1", false},
		{"::ffff:100.64.0.2", false},
		{"::ffff:20.0.0.3", true},
	} {
		if got := Public(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Public(%s) = %v; want %v", tc.addr, got, tc.want)
		}
	}
	if Public(netip.Addr{}) {
		t.Error("Public(invalid) = true")
	}
}
