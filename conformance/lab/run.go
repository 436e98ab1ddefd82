package lab

import (
	"context"
	"fmt"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

// RequireRoot skips the suite when it cannot make namespaces; call it in BeforeSuite.
func RequireRoot() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
}

// RunFile runs a scenario file through the runner and returns its report.
func RunFile(path string) *reports.Run {
	GinkgoHelper()
	src, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return RunText(path, string(src))
}

// RunText runs scenario text through the runner and returns its report.
func RunText(name, src string) *reports.Run {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse(name, []byte(src), cat)
	Expect(err).NotTo(HaveOccurred())
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: GinkgoT().TempDir()})
	Expect(err).NotTo(HaveOccurred())
	Expect(rep.Assertions).To(HaveLen(len(s.Assertions)))
	return rep
}

// ExpectPass fails with every failed assertion's measurement and every fault
// that could not be applied; a report with no assertion fails too.
func ExpectPass(rep *reports.Run) {
	GinkgoHelper()
	var failed []string
	for _, a := range rep.Assertions {
		GinkgoWriter.Printf("%-5v %s: measured %s, expected %s\n", a.Pass, a.Name, a.Measured, a.Expected)
		if !a.Pass {
			failed = append(failed, fmt.Sprintf("%s: %s (%s): measured %s, expected %s %s", rep.File, a.Name, a.Expr, a.Measured, a.Expected, a.Detail))
		}
	}
	for _, tl := range rep.Timeline {
		if tl.Error != "" {
			failed = append(failed, fmt.Sprintf("%s: %s on %s at %v: %s", rep.File, tl.Do, tl.On, tl.At, tl.Error))
		}
	}
	Expect(failed).To(BeEmpty())
	Expect(rep.Assertions).NotTo(BeEmpty())
}

// RunScenario runs a scenario file; every assertion must pass and every
// fault apply.
func RunScenario(path string) *reports.Run {
	GinkgoHelper()
	rep := RunFile(path)
	ExpectPass(rep)
	return rep
}
