package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

func validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate SCENARIO.yaml...",
		Short: "Check scenario files and print every problem as file:line:col: message",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := runner.DefaultCatalog()
			if err != nil {
				return err
			}
			bad := 0
			for _, f := range args {
				s, err := scenario.Load(f, cat)
				if err == nil {
					_, err = topology.NewPlan(s) // address pools too small show up here
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					bad++
					continue
				}
				fmt.Printf("%s: ok (%s)\n", f, s.Name)
			}
			if bad > 0 {
				// stderr holds only file:line:col lines; the count goes to stdout.
				fmt.Println(plural(bad, "invalid scenario file"))
				return &exitError{code: exitSetup}
			}
			return nil
		},
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
