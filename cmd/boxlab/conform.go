package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/boxlab/boxlab/nat/conform"
	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
)

func conformCmd() *cobra.Command {
	var (
		profiles, only, externals []string
		natOptions, out           string
		parallel                  int
	)
	cmd := &cobra.Command{
		Use:   "conform",
		Short: "Check NAT profiles against RFC 4787, 5382 and 5508 and write the requirement × NAT matrix",
		Long: `conform builds, for every requirement and every NAT profile (--nat, repeatable;
default: every profile with an oracle, unless --external is given), a home behind that
NAT with two LAN hosts and two servers, measures the requirement with real packets and
compares it with what the profile claims. --external CMD (repeatable) adds a NAT nobody
here wrote: the external profile, with CMD run by sh -c in the gateway namespace to set it
up (BOXLAB_WAN, BOXLAB_LAN, BOXLAB_SPEED, ... in its environment); it has no oracle, so
its row is measured and reported, not judged. It writes report.json, junit.xml and
report.html to --out. Exit 0 if every NAT behaved as its profile claims (and every check
of an external NAT ran), 1 if not, 2 on a setup error.`,
		Example: `  boxlab nat conform --nat linux --nat symmetric
  boxlab nat conform --external 'sh conformance/nat/testdata/nft-masquerade.sh' --parallel 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := runner.DefaultCatalog()
			if err != nil {
				return err
			}
			if len(profiles) == 0 && len(externals) == 0 {
				for _, p := range cat.NAT.Names() {
					if _, ok := conform.Expected(p); ok {
						profiles = append(profiles, p)
					}
				}
			}
			reqs := conform.Requirements()
			if len(only) > 0 {
				reqs = nil
				for _, id := range only {
					r, ok := conform.Find(id)
					if !ok {
						return &exitError{code: exitSetup, err: fmt.Errorf("--req %q: no such requirement", id)}
					}
					reqs = append(reqs, r)
				}
			}
			if out == "" {
				out = filepath.Join("out", "nat-conform-"+time.Now().Format("20060102-150405"))
			}
			var targets []conform.Target
			for _, p := range profiles {
				if _, ok := cat.NAT[p]; !ok {
					return &exitError{code: exitSetup, err: fmt.Errorf("--nat %q: want one of %v", p, cat.NAT.Names())}
				}
				targets = append(targets, conform.Target{Profile: p, Options: natOptions})
			}
			for i, c := range externals {
				t, err := conform.External(c)
				if err != nil {
					return &exitError{code: exitSetup, err: fmt.Errorf("--external %q: %w", c, err)}
				}
				if len(externals) > 1 {
					t.Name = fmt.Sprintf("external-%d", i+1)
				}
				targets = append(targets, t)
			}
			m := &conform.Matrix{Started: time.Now()}
			m.Results = conform.Run(cmd.Context(), cat, targets, reqs, parallel, func(res conform.Result) {
				pass, _ := conform.Verdict(res)
				mark := "ok  "
				if !pass {
					mark = "FAIL"
				}
				fmt.Printf("%s %s: %s %s — %s\n", mark, res.Name, res.Requirement.ID, res.Requirement.Title, res.Outcome.Observed)
			})
			if err := cmd.Context().Err(); err != nil {
				return &exitError{code: exitSetup, err: err}
			}
			m.Wall = time.Since(m.Started)
			run := m.Report()
			files, err := reports.WriteAll(out, run)
			if err != nil {
				return &exitError{code: exitSetup, err: err}
			}
			fmt.Printf("%d of %d (NAT, requirement) pairs behaved as the profile claims, in %v\n",
				len(run.Assertions)-run.Failures(), len(run.Assertions), m.Wall.Round(time.Second))
			fmt.Println("  report: " + strings.Join(files, "\n  report: "))
			if !run.Passed() {
				return &exitError{code: exitFail}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&profiles, "nat", nil, "NAT profile to check (repeatable; default every profile with an oracle)")
	f.StringArrayVar(&only, "req", nil, `only this requirement, e.g. "RFC4787 REQ-1" (repeatable)`)
	f.StringVar(&natOptions, "nat-options", "", "nat_options of the profiles, as a YAML flow mapping")
	f.StringArrayVar(&externals, "external", nil, "a command (run by sh -c in the gateway namespace) that sets up an external NAT to measure (repeatable)")
	f.IntVar(&parallel, "parallel", 1, "checks run at once (each builds its own topology)")
	f.StringVarP(&out, "out", "o", "", "report folder (default out/nat-conform-<time>)")
	return cmd
}
