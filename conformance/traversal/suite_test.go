package traversal_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

func TestTraversal(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Traversal (seed 002, end to end)")
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
})

// runScenario runs a scenario file through the runner; every assertion
// must pass and every fault apply.
func runScenario(file string) {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Load(file, cat)
	Expect(err).NotTo(HaveOccurred())
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: GinkgoT().TempDir()})
	Expect(err).NotTo(HaveOccurred())
	Expect(rep.Assertions).To(HaveLen(len(s.Assertions)))
	for _, a := range rep.Assertions {
		Expect(a.Pass).To(BeTrue(), fmt.Sprintf("%s: %s: measured %s, expected %s %s", file, a.Name, a.Measured, a.Expected, a.Detail))
	}
	for _, tl := range rep.Timeline {
		Expect(tl.Error).To(BeEmpty())
	}

}

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
