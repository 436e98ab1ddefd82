package topology_test

import (
	"net"

	"github.com/vishvananda/netlink"
)

func isDefault(r netlink.Route) bool {
	return r.Dst == nil || r.Dst.String() == "0.0.0.0/0"
}

func ipnet(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}
