package camera_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"context"
	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

func TestCamera(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Camera under test (seed 002, end to end)")
}

var _ = BeforeSuite(lab.RequireRoot)

// outcome is one scenario run whose assertions the specs of a container
// check one rule at a time.
type outcome struct {
	rep *reports.Run
	out string
}

// run runs scenario text through the runner into a spec temp folder.
func run(name, src string) *outcome {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse(name+".yaml", []byte(src), cat)
	Expect(err).NotTo(HaveOccurred(), "scenario:\n%s", src)
	out := GinkgoT().TempDir()
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: out})
	Expect(err).NotTo(HaveOccurred())
	Expect(rep.Error).To(BeEmpty())
	return &outcome{rep: rep, out: out}
}

// rule checks the assertion called name: it must exist and pass. On failure
// it shows what the programs under test wrote.
func (o *outcome) rule(name string) {
	GinkgoHelper()
	for _, a := range o.rep.Assertions {
		if a.Name != name {
			continue
		}
		GinkgoWriter.Printf("%-5v %s (%s): measured %s, expected %s\n", a.Pass, a.Name, a.Expr, a.Measured, a.Expected)
		Expect(a.Pass).To(BeTrue(), "%s (%s): measured %s, expected %s %s\n%s", a.Name, a.Expr, a.Measured, a.Expected, a.Detail, o.programOutput())
		return
	}
	Fail(fmt.Sprintf("the scenario has no assertion named %q", name))
}

// programOutput is the tail of every exec node's stderr and stdout.
func (o *outcome) programOutput() string {
	var b strings.Builder
	for _, ext := range []string{"*.stderr", "*.stdout"} {
		files, _ := filepath.Glob(filepath.Join(o.out, ext))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			if len(data) > 2000 {
				data = data[len(data)-2000:]
			}
			fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(f), data)
		}
	}
	return b.String()
}
