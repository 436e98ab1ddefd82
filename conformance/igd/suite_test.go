// Package igd_test is the end-to-end suite of port mapping on the gateway
// (issue 6, seed 003): static mappings in every NAT backend forward traffic
// from the internet to a LAN host; the UPnP IGD role answers SSDP, serves
// its descriptions and SOAP actions with real error codes; Debian's upnpc
// works against it. NAT-PMP (RFC 6886) and PCP (RFC 6887) on the same
// gateway share its mapping table (pcp_test.go, one spec per RFC rule);
// Debian's natpmpc works against ours, and our NAT-PMP/PCP client against
// Debian's miniupnpd (miniupnpd_test.go). Needs root.
package igd_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
)

func TestIGD(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Port mapping and UPnP IGD (end to end)")
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
})

var (
	build  = lab.Build
	listen = lab.Listen
	send   = lab.Send
	recv   = lab.Recv
	addrOf = lab.Addr
)
