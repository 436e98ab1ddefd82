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
		profiles, only  []string
		natOptions, out string
	)
	cmd := &cobra.Command{
		Use:   "conform",
		Short: "Check NAT profiles against RFC 4787, 5382 and 5508 and write the requirement × NAT matrix",
		Long: `conform builds, for every requirement and every NAT profile (--nat, repeatable;
default: every profile with an oracle), a home behind that NAT with two LAN hosts and
two servers, measures the requirement with real packets and compares it with what the
profile claims. It writes report.json, junit.xml and report.html to --out. Exit 0 if
every NAT behaved as its profile claims, 1 if not, 2 on a setup error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := runner.DefaultCatalog()
			if err != nil {
				return err
			}
			if len(profiles) == 0 {
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
			m := &conform.Matrix{Started: time.Now()}
			for _, p := range profiles {
				if _, ok := cat.NAT[p]; !ok {
					return &exitError{code: exitSetup, err: fmt.Errorf("--nat %q: want one of %v", p, cat.NAT.Names())}
				}
				for _, r := range reqs {
					if err := cmd.Context().Err(); err != nil {
						return &exitError{code: exitSetup, err: err}
					}
					res := conform.Check(cmd.Context(), cat, conform.Target{Profile: p, Options: natOptions}, r)
					pass, _ := conform.Verdict(res)
					mark := "ok  "
					if !pass {
						mark = "FAIL"
					}
					fmt.Printf("%s %s: %s %s — %s\n", mark, p, r.ID, r.Title, res.Outcome.Observed)
					m.Results = append(m.Results, res)
				}
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
	f.StringVarP(&out, "out", "o", "", "report folder (default out/nat-conform-<time>)")
	return cmd
}
