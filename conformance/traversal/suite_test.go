package traversal_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
)

func TestTraversal(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Traversal (seed 002, end to end)")
}

var _ = BeforeSuite(lab.RequireRoot)

func runScenario(file string) { GinkgoHelper(); lab.RunScenario(file) }

var _ = Describe("Seed 002 scenarios through the runner", func() {
	It("scenarios/traversal.yaml: UDP trigger connects every camera behind linux, linux-fullcone, full-cone, port-restricted-cone and symmetric; duplicate private IPs stay distinct; a trigger crash loses no camera", func() {
		runScenario("../../scenarios/traversal.yaml")
	})
	It("scenarios/traversal-tcp.yaml: the TCP SYN variant fails through Linux-faithful NATs (the SYN-ACK leaks un-NATed) and connects where the NAT maps the SYN-ACK", func() {
		runScenario("../../scenarios/traversal-tcp.yaml")
	})
	It("scenarios/traversal-faults.yaml: a platform restart reconnects every camera through its trigger; a WAN change loses the camera and the trigger's refresh reconnects it", func() {
		runScenario("../../scenarios/traversal-faults.yaml")
	})
	It("scenarios/traversal-keepalive.yaml: keepalives hold the mapping past the NAT timeout; a period longer than the timeout loses the camera", func() {
		runScenario("../../scenarios/traversal-keepalive.yaml")
	})
})
