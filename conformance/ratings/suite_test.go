// Package ratings_test is the end-to-end suite of seed 004: it runs the
// shipped ratings scenarios through the runner (the server's ratings must
// equal the viewers' ground truth, with and without faults) and checks the
// ratings server against a real Digest peer, curl, inside the namespaces.
// Needs root.
package ratings_test

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

func TestRatings(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Ratings (seed 004, end to end)")
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
})

// runScenario runs a scenario file through the runner and returns its
// report; every assertion must pass.
func runScenario(file string) {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Load(file, cat)
	Expect(err).NotTo(HaveOccurred())
	out := GinkgoT().TempDir()
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: out})
	Expect(err).NotTo(HaveOccurred())
	Expect(rep.Assertions).To(HaveLen(len(s.Assertions)))
	for _, a := range rep.Assertions {
		Expect(a.Pass).To(BeTrue(), fmt.Sprintf("%s: %s: measured %s, expected %s %s", file, a.Name, a.Measured, a.Expected, a.Detail))
	}
	for _, tl := range rep.Timeline {
		Expect(tl.Error).To(BeEmpty())
	}
	Expect(rep.Topology.Teardown).To(BeNumerically("<", 10e9), "teardown took %v", rep.Topology.Teardown)
}

var _ = Describe("Seed 004 scenarios through the runner", func() {
	It("scenarios/ratings.yaml: the server's ratings equal the ground truth exactly; forged reports are not counted", func() {
		runScenario("../../scenarios/ratings.yaml")
	})
	It("scenarios/ratings-faults.yaml: WAN changes and a server crash lose no acknowledged record", func() {
		runScenario("../../scenarios/ratings-faults.yaml")
	})
})
