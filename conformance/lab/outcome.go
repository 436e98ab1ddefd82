package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Outcome is one scenario run whose assertions specs check one rule at a
// time (a suite for a device under test runs the scenario once per
// container, then one It per rule).
type Outcome struct {
	Report *reports.Run
	OutDir string // the run's output folder: exec programs' .stdout/.stderr
}

// RunOutcome runs scenario text through the runner into a spec temp folder;
// the run itself must not fail (its assertions are judged by Rule).
func RunOutcome(name, src string) *Outcome {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse(name+".yaml", []byte(src), cat)
	Expect(err).NotTo(HaveOccurred(), "scenario:\n%s", src)
	out := GinkgoT().TempDir()
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: out})
	Expect(err).NotTo(HaveOccurred())
	Expect(rep.Error).To(BeEmpty())
	return &Outcome{Report: rep, OutDir: out}
}

// Rule checks the assertion called name: it must exist and pass. On
// failure it shows what the programs under test wrote.
func (o *Outcome) Rule(name string) {
	GinkgoHelper()
	for _, a := range o.Report.Assertions {
		if a.Name != name {
			continue
		}
		GinkgoWriter.Printf("%-5v %s (%s): measured %s, expected %s\n", a.Pass, a.Name, a.Expr, a.Measured, a.Expected)
		Expect(a.Pass).To(BeTrue(), "%s (%s): measured %s, expected %s %s\n%s", a.Name, a.Expr, a.Measured, a.Expected, a.Detail, o.ProgramOutput())
		return
	}
	Fail(fmt.Sprintf("the scenario has no assertion named %q", name))
}

// ProgramOutput is the last 3,000 bytes of every exec node's stderr and
// stdout.
func (o *Outcome) ProgramOutput() string {
	var b strings.Builder
	for _, ext := range []string{"*.stderr", "*.stdout"} {
		files, _ := filepath.Glob(filepath.Join(o.OutDir, ext))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			if len(data) > 3000 {
				data = data[len(data)-3000:]
			}
			fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(f), data)
		}
	}
	return b.String()
}
