// Package acs_test is the end-to-end conformance suite of the management
// server side of seed 000 (TR-069 Annex G / TR-111 part 2): boxlab's `acs`
// role runs in a server namespace and is exercised through real NAT
// gateways with real UDP and HTTP: NAT detection at boot, keepalive
// challenges and validation in both STUN dialects, the public binding,
// connection requests from the STUN port, bad input; and the shipped
// keepalive scenarios pass through the runner. Needs root.
//
// Server under test: the specs drive boxlab's own acs. An `exec` ACS under
// test would be placed as `role: exec` on the server named acs and must
// serve POST /cwmp/boot, /cwmp/session, /cwmp/result (devices/acs/wire.go)
// on 7547 and STUN on 3478; those specs are skipped until a real ACS binary
// is available (BOXLAB_ACS_UNDER_TEST, see exec_test.go).
package acs_test

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

func TestACS(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "ACS keepalive conformance (end to end)")
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
