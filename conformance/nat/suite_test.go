// Package nat_test is the NAT conformance suite: every NAT profile of the
// catalog × every testable requirement of RFC 4787, 5382 and 5508 (package
// nat/conform), one spec each, named "<profile>: <ID> <title>". A spec
// passes when the NAT behaved as its profile claims (the oracle in
// nat/conform: derived from the table.Behavior for userspace profiles,
// Linux's documented behaviour for kernel ones); a profile without an
// oracle would be measured and skipped. The
// requirement × NAT matrix is written to out/nat-conform/ (JSON, JUnit,
// HTML) after the suite. Needs root.
package nat_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/nat/conform"
	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
)

func TestNATConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "NAT conformance (RFC 4787, 5382, 5508)")
}

var (
	matrix = &conform.Matrix{Started: time.Now()}
	mu     sync.Mutex
)

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
})

var _ = AfterSuite(func() {
	mu.Lock()
	defer mu.Unlock()
	if len(matrix.Results) == 0 {
		return
	}
	matrix.Wall = time.Since(matrix.Started)
	dir := filepath.Join("..", "..", "out", "nat-conform")
	files, err := reports.WriteAll(dir, matrix.Report())
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("requirement × NAT matrix: %v\n", files)
})

// targets are the NATs under test: every profile of the catalog, except
// external, which needs a command (BOXLAB_EXTERNAL_NAT is not wired yet).
func targets() []conform.Target {
	cat, err := runner.DefaultCatalog()
	if err != nil {
		panic(err)
	}
	var ts []conform.Target
	for _, p := range cat.NAT.Names() {
		if p == "external" {
			continue
		}
		ts = append(ts, conform.Target{Profile: p})
	}
	return ts
}

var _ = Describe("NAT conformance", func() {
	for _, t := range targets() {
		for _, r := range conform.Requirements() {
			It(t.Profile+": "+r.ID+" "+r.Title, func(ctx SpecContext) {
				cat, err := runner.DefaultCatalog()
				Expect(err).NotTo(HaveOccurred())
				res := conform.Check(context.Context(ctx), cat, t, r)
				mu.Lock()
				matrix.Results = append(matrix.Results, res)
				mu.Unlock()
				AddReportEntry("measured", res.Outcome.Observed)
				Expect(res.Outcome.Err).To(BeEmpty(), "the check could not run")
				exp, ok := conform.ExpectedFor(t)
				if !ok {
					Skip("no oracle for profile " + t.Profile + ": measured " + res.Outcome.Observed)
				}
				e, ok := exp[r.ID]
				if !ok {
					Skip("no expectation for " + r.ID + ": measured " + res.Outcome.Observed)
				}
				Expect(conform.Judge(res.Outcome, e)).To(BeTrue(),
					"expected %s\nmeasured: complies=%v applicable=%v behaviour=%q: %s",
					conform.ExpectText(r.Level, e), res.Outcome.Complies, res.Outcome.Applicable, res.Outcome.Behaviour, res.Outcome.Observed)
			}, SpecTimeout(2*time.Minute))
		}
	}
})
