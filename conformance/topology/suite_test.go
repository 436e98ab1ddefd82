// Package topology_test is the end-to-end suite of the topology engine: it
// builds real namespaces from scenario text and checks with real sockets
// that nodes exist, are isolated, that the kernel NAT translates, that
// overlapping LAN prefixes work, that every fault does what it says, and
// that more homes than a bridge has ports still connect. Needs root.
package topology_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
)

func TestTopology(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Topology engine (end to end)")
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
})

var (
	build     = lab.Build
	listen    = lab.Listen
	send      = lab.Send
	recv      = lab.Recv
	sendUntil = lab.SendUntil
	addrOf    = lab.Addr
)
