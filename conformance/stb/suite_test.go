// Package stb_test is the end-to-end conformance suite of the set-top box
// side of seed 000 (TR-069 Annex G / TR-111 part 2): boxlab plays the
// management server, the STUN entity, the NAT and an on-path attacker, and
// checks each rule of the box under test: connection-request validation
// (G.2.1.4: ts later than last, id different, username, signature, before
// any state change), tolerance of sender variants, rate limit, reboot.
// Needs root.
//
// Device under test: the specs drive boxlab's own `stb` role. A real CPE
// agent runs as an `exec` node; boxlab passes it BOXLAB_SERVER_ACS (the
// ACS address; boot at http://$BOXLAB_SERVER_ACS:7547/cwmp/boot, STUN on
// 3478), BOXLAB_ADDR and BOXLAB_NODE (its device id). Those specs are
// skipped unless BOXLAB_STB_UNDER_TEST names the agent (see exec_test.go).
package stb_test

import (
	"context"
	"fmt"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"testing"

	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

func TestSTB(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "STB keepalive conformance (end to end)")
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
})

// runFile runs a scenario file through the runner and returns its report.
func runFile(path string) *reports.Run {
	GinkgoHelper()
	src, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return runText(path, string(src))
}

// runText runs scenario text through the runner.
func runText(name, src string) *reports.Run {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse(name, []byte(src), cat)
	Expect(err).NotTo(HaveOccurred())
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: GinkgoT().TempDir()})
	Expect(err).NotTo(HaveOccurred())
	return rep
}

// expectPass fails with every failed assertion's measurement.
func expectPass(rep *reports.Run) {
	GinkgoHelper()
	var failed []string
	for _, a := range rep.Assertions {
		GinkgoWriter.Printf("%-5v %s: measured %s, expected %s\n", a.Pass, a.Name, a.Measured, a.Expected)
		if !a.Pass {
			failed = append(failed, fmt.Sprintf("%s (%s): measured %s, expected %s %s", a.Name, a.Expr, a.Measured, a.Expected, a.Detail))
		}
	}
	Expect(failed).To(BeEmpty())
	Expect(rep.Assertions).NotTo(BeEmpty())
}
