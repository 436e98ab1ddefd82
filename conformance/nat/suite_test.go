// Package nat_test is the NAT conformance suite: every NAT under test ×
// every testable requirement of RFC 4787, 5382 and 5508 (package
// nat/conform), one spec each, named "<NAT>: <ID> <title>". The NATs under
// test are every profile of the catalog and an external NAT: the profile
// external running testdata/nft-masquerade.sh, a vendor-style script that
// sets up nftables masquerade in the gateway namespace (or the command in
// BOXLAB_EXTERNAL_NAT, run with sh -c).
//
// A spec passes when the NAT behaved as its profile claims (the oracle in
// nat/conform: derived from the table.Behavior for userspace profiles,
// Linux's documented behaviour for kernel ones). The external NAT has no
// oracle: its specs pass when the check ran, and report what was measured.
// A last spec checks that its matrix row is complete and, since the shipped
// script is an nftables masquerade, that it measured what the linux profile
// measured in the same run.
//
// The checks share nothing (each builds its own topology), and most of
// their time is spent waiting for NAT timers, so BeforeSuite starts them all,
// BOXLAB_CONFORM_PARALLEL at a time (default 4), and each spec waits for and
// judges its own cell (BOXLAB_CONFORM_REQ, a regular expression, limits the
// requirements). The requirement × NAT matrix is written to
// out/nat-conform/ (JSON, JUnit, HTML) after the suite. Needs root.
package nat_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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

// externalName is the matrix row of the external NAT.
const externalName = "external(nft-masquerade)"

var (
	reqs    = requirements()
	nats    = targets()
	cells   = map[string]chan conform.Result{} // by cellKey, filled by BeforeSuite's run
	matrix  = &conform.Matrix{}
	started = make(chan struct{})
	ctx     context.Context
	cancel  context.CancelFunc
)

// requirements are the catalogue, or those whose ID matches the regular
// expression BOXLAB_CONFORM_REQ (to iterate on a few checks).
func requirements() []conform.Requirement {
	all := conform.Requirements()
	pat := os.Getenv("BOXLAB_CONFORM_REQ")
	if pat == "" {
		return all
	}
	re := regexp.MustCompile(pat)
	var rs []conform.Requirement
	for _, r := range all {
		if re.MatchString(r.ID) {
			rs = append(rs, r)
		}
	}
	return rs
}

func cellKey(t conform.Target, id string) string { return t.Label() + "|" + id }

func init() {
	for _, t := range nats {
		for _, r := range reqs {
			cells[cellKey(t, r.ID)] = make(chan conform.Result, 1)
		}
	}
}

// targets are the NATs under test: every profile of the catalog except
// external, and external with a command.
func targets() []conform.Target {
	cat, err := runner.DefaultCatalog()
	if err != nil {
		panic(err)
	}
	var ts []conform.Target
	for _, p := range cat.NAT.Names() {
		if p != "external" {
			ts = append(ts, conform.Target{Profile: p})
		}
	}
	return append(ts, externalTarget())
}

// externalTarget is the external profile running BOXLAB_EXTERNAL_NAT or the
// shipped nft script.
func externalTarget() conform.Target {
	command := os.Getenv("BOXLAB_EXTERNAL_NAT")
	if command == "" {
		script, err := filepath.Abs(filepath.Join("testdata", "nft-masquerade.sh"))
		if err != nil {
			panic(err)
		}
		command = "sh " + script
	}
	t, err := conform.External(command)
	if err != nil {
		panic(err)
	}
	t.Name = externalName
	return t
}

func parallel() int {
	if n, err := strconv.Atoi(os.Getenv("BOXLAB_CONFORM_PARALLEL")); err == nil && n > 0 {
		return n
	}
	return 4
}

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("needs root to create network namespaces")
	}
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel = context.WithCancel(context.Background())
	matrix.Started = time.Now()
	go func() {
		defer close(started)
		matrix.Results = conform.Run(ctx, cat, nats, reqs, parallel(), func(r conform.Result) {
			cells[r.Name+"|"+r.Requirement.ID] <- r
		})
	}()
})

var _ = AfterSuite(func() {
	if cancel == nil {
		return
	}
	cancel()
	<-started
	if len(matrix.Results) == 0 {
		return
	}
	matrix.Wall = time.Since(matrix.Started)
	dir := filepath.Join("..", "..", "out", "nat-conform")
	files, err := reports.WriteAll(dir, matrix.Report())
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("requirement × NAT matrix: %v\n", files)
})

// result waits for a cell and keeps it for the row checks.
var seen = map[string]conform.Result{}

func result(ctx SpecContext, t conform.Target, id string) conform.Result {
	GinkgoHelper()
	select {
	case r := <-cells[cellKey(t, id)]:
		seen[cellKey(t, id)] = r
		return r
	case <-ctx.Done():
		Fail("the check did not finish")
	}
	return conform.Result{}
}

var _ = Describe("NAT conformance", func() {
	for _, t := range nats {
		for _, r := range reqs {
			It(t.Label()+": "+r.ID+" "+r.Title, func(ctx SpecContext) {
				res := result(ctx, t, r.ID)
				AddReportEntry("measured", res.Outcome.Observed)
				Expect(res.Outcome.Err).To(BeEmpty(), "the check could not run")
				exp, ok := conform.ExpectedFor(t)
				if !ok {
					AddReportEntry("verdict", "no oracle for "+t.Label()+": measured and reported, not judged")
					return
				}
				e, ok := exp[r.ID]
				if !ok {
					Skip("no expectation for " + r.ID + ": measured " + res.Outcome.Observed)
				}
				Expect(conform.Judge(res.Outcome, e)).To(BeTrue(),
					"expected %s\nmeasured: complies=%v applicable=%v behaviour=%q: %s",
					conform.ExpectText(r.Level, e), res.Outcome.Complies, res.Outcome.Applicable, res.Outcome.Behaviour, res.Outcome.Observed)
			}, SpecTimeout(5*time.Minute))
		}
	}

	It(externalName+": the matrix row is complete and matches the linux profile it reimplements", func(ctx SpecContext) {
		ext := externalTarget()
		if _, ok := conform.ExpectedFor(ext); ok {
			Fail("the external NAT must have no oracle: it is measured, not assumed")
		}
		linux := conform.Target{Profile: "linux"}
		for _, r := range reqs {
			e, ok := seen[cellKey(ext, r.ID)]
			if !ok {
				e = result(ctx, ext, r.ID)
			}
			l, ok := seen[cellKey(linux, r.ID)]
			if !ok {
				l = result(ctx, linux, r.ID)
			}
			Expect(e.Outcome.Err).To(BeEmpty(), "%s: %s could not run", externalName, r.ID)
			pass, expected := conform.Verdict(e)
			Expect(pass).To(BeTrue())
			Expect(expected).To(ContainSubstring("not judged"), r.ID)
			// The same nftables masquerade, installed by a script instead of
			// google/nftables: every verdict must agree.
			Expect([2]bool{e.Outcome.Applicable, e.Outcome.Complies}).To(Equal([2]bool{l.Outcome.Applicable, l.Outcome.Complies}),
				"%s: %s measured %q (%s), linux measured %q (%s)", r.ID, externalName, e.Outcome.Behaviour, e.Outcome.Observed, l.Outcome.Behaviour, l.Outcome.Observed)
			if e.Outcome.Behaviour != l.Outcome.Behaviour {
				AddReportEntry(r.ID, "behaviour differs: "+externalName+" "+e.Outcome.Behaviour+", linux "+l.Outcome.Behaviour)
			}
		}
	}, SpecTimeout(5*time.Minute))
})
