package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

func runCmd() *cobra.Command {
	var (
		out      string
		keep     bool
		captures []string
		speed    float64
		verbose  bool
		runID    string
		holder   string
	)
	cmd := &cobra.Command{
		Use:   "run SCENARIO.yaml",
		Short: "Build the scenario's topology, run it, check its assertions and write reports",
		Long: `Run builds every namespace of the scenario, starts its devices, plays its
timeline of faults on the simulated clock, tears everything down and writes
report.json, junit.xml, report.html and events.jsonl to --out.
Exit code 0: every assertion passed; 1: an assertion failed; 2: bad input or setup error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := runner.DefaultCatalog()
			if err != nil {
				return err
			}
			s, err := scenario.Load(args[0], cat)
			if err != nil {
				return &exitError{code: exitSetup, err: err}
			}
			if speed > 0 {
				s.Speed = speed
			}
			if out == "" {
				out = filepath.Join("out", s.Name+"-"+time.Now().Format("20060102-150405"))
			}
			if os.Geteuid() != 0 {
				return &exitError{code: exitSetup, err: errors.New("boxlab run needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) to make namespaces")}
			}
			tty := term.IsTerminal(int(os.Stderr.Fd()))
			console := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
			var progress runner.Progress = newLines(slog.New(console))
			if tty {
				progress = newBars(os.Stderr)
			}
			rep, runErr := runner.Run(cmd.Context(), runner.Config{
				Scenario: s, Catalog: cat, OutDir: out, Keep: keep, Captures: captures,
				Console: console, Verbose: verbose, Progress: progress, RunID: runID, Holder: holder,
			})
			paths, werr := reports.WriteAll(out, rep)
			if werr != nil {
				return &exitError{code: exitSetup, err: errors.Join(runErr, werr)}
			}
			printSummary(os.Stdout, rep, paths)
			switch {
			case runErr != nil:
				return &exitError{code: exitSetup, err: runErr}
			case !rep.Passed():
				return &exitError{code: exitFail}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "report folder (default out/<scenario>-<time>)")
	f.BoolVar(&keep, "keep", false, "name namespaces bl-<run>-<node> and keep them after the run (boxlab shell, ip netns exec; boxlab clean removes them)")
	f.StringArrayVar(&captures, "capture", nil, "write a pcap of NODE[:IFACE] next to the report (repeatable)")
	f.Float64Var(&speed, "speed", 0, "override the scenario's speed (simulated seconds per real second)")
	f.BoolVarP(&verbose, "verbose", "v", false, "print device events too")
	f.StringVar(&runID, "run-id", "", "run id used in namespace names (default random)")
	f.StringVar(&holder, "ns-holder", runner.HolderAuto, "where namespace descriptors live: auto (helper processes when RLIMIT_NOFILE is too low for the topology), always, never")
	return cmd
}

func printSummary(w *os.File, rep *reports.Run, paths []string) {
	verdict := "PASS"
	if !rep.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\n%s  %s  (%d namespaces, build %v, teardown %v, wall %v)\n", verdict, rep.Scenario,
		rep.Topology.Namespaces, time.Duration(rep.Topology.Build).Round(time.Millisecond),
		time.Duration(rep.Topology.Teardown).Round(time.Millisecond), time.Duration(rep.Wall).Round(time.Millisecond))
	for _, a := range rep.Assertions {
		mark := "ok  "
		if !a.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s: measured %s, expected %s", mark, a.Name, a.Measured, a.Expected)
		if a.Detail != "" {
			fmt.Fprintf(w, " (%s)", a.Detail)
		}
		fmt.Fprintln(w)
	}
	if rep.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", rep.Error)
	}
	for _, p := range paths {
		fmt.Fprintf(w, "  report: %s\n", p)
	}
}
