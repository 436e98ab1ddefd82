package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

func schemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of scenario files (for editors)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := scenario.JSONSchema()
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(b)
			return err
		},
	}
}

func cleanCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "clean",
		Short: "Remove namespaces (bl-*) left by runs that are no longer alive",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			n, err := ns.Reap()
			fmt.Printf("removed %d namespaces\n", n)
			return err
		},
	}
}

func shellCmd() *cobra.Command {
	var run string
	cmd := &cobra.Command{
		Use:   "shell NODE [-- COMMAND...]",
		Short: "Open a shell (or run a command) inside a node's namespace of a run started with --keep",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := ns.Find(run, args[0])
			if err != nil {
				return err
			}
			n, err := ns.Open(path)
			if err != nil {
				return err
			}
			defer n.Close()
			argv := args[1:]
			if len(argv) == 0 {
				sh := os.Getenv("SHELL")
				if sh == "" {
					sh = "/bin/sh"
				}
				argv = []string{sh}
			}
			c := exec.Command(argv[0], argv[1:]...)
			c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
			c.Env = append(os.Environ(), "BOXLAB_NODE="+args[0], "PS1=["+args[0]+"] \\w# ")
			if err := n.Start(c); err != nil {
				return err
			}
			err = c.Wait()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return &exitError{code: ee.ExitCode()}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "run id, when several kept runs have the node")
	return cmd
}

func rolesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "roles",
		Short: "List device roles and NAT profiles a scenario may use",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cat, err := runner.DefaultCatalog()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "device roles:")
			for _, name := range cat.Roles() {
				r, _ := cat.Devices.Role(name)
				fmt.Fprintf(w, "  %s\t%s\n", name, r.Doc)
			}
			fmt.Fprintln(w, "NAT profiles:")
			for _, name := range cat.NATProfiles() {
				fmt.Fprintf(w, "  %s\t%s\n", name, strings.TrimSpace(cat.NAT[name].Doc))
			}
			return w.Flush()
		},
	}
}
