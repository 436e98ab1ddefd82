package cli_test

import (
	"os"
	"path/filepath"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("boxlab run", func() {
	It("exits 0 and writes report.json, junit.xml, report.html, events.jsonl for quickstart", func() {
		cleanAfter()
		out := GinkgoT().TempDir()
		scenario := filepath.Join(moduleRoot, "scenarios", "quickstart.yaml")
		declared := assertionCount(scenario)
		Expect(declared).To(BeNumerically(">", 0), "quickstart declares assertions")

		r := boxlab("run", "scenarios/quickstart.yaml", "--speed", "6", "--out", out)
		Expect(r.code).To(Equal(0), "exit code; stdout:\n%s", r.stdout)

		By("report.json: every declared assertion is there and passed")
		rep := readReport(out)
		Expect(rep.Error).To(BeEmpty())
		Expect(rep.Assertions).To(HaveLen(declared))
		for _, a := range rep.Assertions {
			Expect(a.Pass).To(BeTrue(), "assertion %q (%s): measured %s, expected %s", a.Name, a.Expr, a.Measured, a.Expected)
		}
		Expect(rep.Files).To(ContainElement("events.jsonl"))

		By("junit.xml: one test case per assertion, no failures")
		j := readJUnit(out)
		Expect(j.Tests).To(Equal(declared))
		Expect(j.Failures).To(Equal(0))
		Expect(j.Errors).To(Equal(0))
		Expect(j.failedCases()).To(BeEmpty())

		By("report.html: self-contained, no http(s):// references")
		html, err := os.ReadFile(filepath.Join(out, "report.html"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(html)).To(ContainSubstring("quickstart"))
		Expect(regexp.MustCompile(`(?i)https?://`).FindAllString(string(html), -1)).To(BeEmpty())

		By("events.jsonl: every line is a JSON object with t and event")
		evs := events(out)
		Expect(evs).NotTo(BeEmpty())
		for i, ev := range evs {
			Expect(ev).To(HaveKeyWithValue("t", BeAssignableToTypeOf(0.0)), "line %d: %v", i+1, ev)
			Expect(ev).To(HaveKeyWithValue("event", And(BeAssignableToTypeOf(""), Not(BeEmpty()))), "line %d: %v", i+1, ev)
		}
	})

	It("exits 1 and junit.xml counts 1 failure when an assertion cannot hold (count(echo.reply) == 0)", func() {
		cleanAfter()
		out := GinkgoT().TempDir()
		r := boxlab("run", fixture("must-fail.yaml", ""), "--out", out)
		Expect(r.code).To(Equal(1), "exit code; stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		Expect(r.stdout).To(ContainSubstring("FAIL"))

		rep := readReport(out)
		Expect(rep.Error).To(BeEmpty(), "a failed assertion is not a run error")
		Expect(rep.Assertions).To(HaveLen(2))
		j := readJUnit(out)
		Expect(j.Tests).To(Equal(2))
		Expect(j.Failures).To(Equal(1))
		Expect(j.Errors).To(Equal(0))
		Expect(j.failedCases()).To(ConsistOf(ContainSubstring("no replies")))
	})

	It("exits 2 on a bad scenario file and creates no namespace", func() {
		cleanAfter()
		bad, id := "sim/scenario/testdata/bad/unknown-role.yaml", runID()
		before, links := netnsSet(), rootLinks()
		r := boxlab("run", bad, "--out", GinkgoT().TempDir(), "--run-id", id)
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(MatchRegexp(`(?m)^` + regexp.QuoteMeta(bad) + `:\d+:\d+: .+`))
		Expect(r.stdout + r.stderr).NotTo(Or(ContainSubstring("panic"), ContainSubstring("goroutine")))
		Expect(leftovers(before, netnsSet(), nil, id)).To(BeEmpty())
		Expect(rootLinks()).To(Equal(links))
	})
})
