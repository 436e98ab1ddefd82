package igd_test

import (
	"context"
	"path/filepath"
	"runtime"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

// scenarios/remap.yaml end to end: devices map through their IGD, a
// monitor probes the mappings, a WAN change and a reboot break them, the
// monitor instructs a remap and sees them valid again (seed 003, minimal).
var _ = It("scenarios/remap.yaml: every mapping broken by a WAN change or a reboot is remapped within a check period", func() {
	_, here, _, _ := runtime.Caller(0)
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Load(filepath.Join(filepath.Dir(here), "..", "..", "scenarios", "remap.yaml"), cat)
	Expect(err).NotTo(HaveOccurred())
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: GinkgoT().TempDir()})
	Expect(err).NotTo(HaveOccurred())
	for _, a := range rep.Assertions {
		Expect(a.Pass).To(BeTrue(), "%s: measured %v, expected %v", a.Name, a.Measured, a.Expected)
	}
	Expect(rep.Assertions).To(HaveLen(6))
})
