package lab

import (
	"fmt"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// RuleReport is the per-rule verdict table of a conformance run against a
// device under test: one line per spec (a spec names the rule it checks),
// printed to GinkgoWriter (so into the last rule's junit output too) once
// the last rule has run. Declare rules with Rule and feed every spec report
// to Add from ReportAfterEach.
type RuleReport struct {
	Title string
	rules int
	lines []string
}

// Rule declares one rule as an It of the container.
func (r *RuleReport) Rule(text string, body func()) {
	r.rules++
	It(text, body, Offset(1))
}

// Add records one spec's verdict.
func (r *RuleReport) Add(rep SpecReport) {
	verdict := "PASS"
	switch {
	case rep.Failed():
		verdict = "FAIL"
	case rep.State == types.SpecStateSkipped || rep.State == types.SpecStatePending:
		verdict = "SKIP"
	}
	r.lines = append(r.lines, fmt.Sprintf("%-4s %s", verdict, rep.LeafNodeText))
	if len(r.lines) == r.rules {
		GinkgoWriter.Println(r.Title + "\n" + strings.Join(r.lines, "\n"))
	}
}

// PrintTail writes the last n lines of a program's output file to
// GinkgoWriter: what a device under test said around a failed rule.
func PrintTail(path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		GinkgoWriter.Printf("%s: %v\n", path, err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	GinkgoWriter.Printf("last %d lines of %s:\n%s\n", len(lines), path, strings.Join(lines, "\n"))
}
