package cli_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// badFiles are the loader's bad fixtures, relative to the module root.
func badFiles() []string { return moduleGlob("sim/scenario/testdata/bad/*.yaml") }

// moduleGlob globs pattern under the module root and returns relative paths.
func moduleGlob(pattern string) []string {
	if moduleRoot == "" {
		return nil
	}
	abs, _ := filepath.Glob(filepath.Join(moduleRoot, pattern))
	rel := make([]string, len(abs))
	for i, a := range abs {
		rel[i], _ = filepath.Rel(moduleRoot, a)
	}
	return rel
}

// summaryLine is the count validate prints on stdout; stderr holds only
// positioned messages, so editors and CI can parse it line by line.
var summaryLine = regexp.MustCompile(`(?m)^\d+ invalid scenario files?$`)

var _ = Describe("boxlab validate", func() {
	It("finds the loader's bad fixtures under sim/scenario/testdata/bad", func() {
		Expect(badFiles()).NotTo(BeEmpty())
	})

	var entries []TableEntry
	for _, f := range badFiles() {
		entries = append(entries, Entry(f, f))
	}
	DescribeTable("exits 2 and prints only <path>:line:col: messages, no panic, for a bad file",
		func(path string) {
			r := boxlab("validate", path)
			Expect(r.code).To(Equal(2), "exit code; stderr:\n%s", r.stderr)
			Expect(r.stdout + r.stderr).NotTo(Or(ContainSubstring("panic"), ContainSubstring("goroutine")))
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			Expect(r.stdout).To(MatchRegexp(summaryLine.String()), "the count is on stdout")
			positioned := regexp.MustCompile(`^` + regexp.QuoteMeta(path) + `:\d+:\d+: .+`)
			Expect(lines).NotTo(BeEmpty(), "at least one positioned message")
			for _, l := range lines {
				Expect(l).To(MatchRegexp(positioned.String()))
			}
		},
		entries,
	)

	It("exits 2 and reports every bad file when given all of them at once", func() {
		files := badFiles()
		r := boxlab(append([]string{"validate"}, files...)...)
		Expect(r.code).To(Equal(2))
		Expect(r.stdout).To(ContainSubstring("%d invalid scenario files\n", len(files)))
		for _, f := range files {
			Expect(r.stderr).To(MatchRegexp(`(?m)^`+regexp.QuoteMeta(f)+`:\d+:\d+: .+`), "no message for %s", f)
		}
	})

	It("exits 0 for every shipped scenario (scenarios/*.yaml)", func() {
		files := moduleGlob("scenarios/*.yaml")
		Expect(files).NotTo(BeEmpty())
		r := boxlab(append([]string{"validate"}, files...)...)
		Expect(r.code).To(Equal(0), "stderr:\n%s", r.stderr)
		Expect(r.stderr).To(BeEmpty())
		for _, f := range files {
			Expect(r.stdout).To(ContainSubstring(f + ": ok"))
		}
	})
})

var _ = Describe("boxlab schema", func() {
	It(`prints valid JSON with "$schema"`, func() {
		r := boxlab("schema")
		Expect(r.code).To(Equal(0), "stderr:\n%s", r.stderr)
		var schema map[string]any
		Expect(json.Unmarshal([]byte(r.stdout), &schema)).To(Succeed())
		Expect(schema).To(HaveKeyWithValue("$schema", And(BeAssignableToTypeOf(""), Not(BeEmpty()))))
	})
})
