package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/boxlab/boxlab/devices/standalone"
	"github.com/boxlab/boxlab/sim/runner"
)

// deviceCmd runs one role standalone in the current namespace: the program
// of an exec node that plays boxlab's own role (see devices/standalone).
func deviceCmd() *cobra.Command {
	var (
		optText, optFile string
		seed             uint64
		finish           time.Duration
	)
	cmd := &cobra.Command{
		Use:   "device ROLE",
		Short: "Run one device role standalone in the current network namespace until SIGTERM (the program of an exec node)",
		Long: `device runs one registered role (boxlab roles lists them) in the network
namespace it is started in, e.g. as the command of an exec node:

  command: [/path/to/boxlab, device, stb, --options, "{acs: acs, dialect: rfc5389}"]

Its options are the role's scenario options, as YAML text (--options) or a
file (--options-file), decoded and checked like a scenario's options: block.
It reads BOXLAB_NODE, BOXLAB_ADDR (else the first global IPv4 address),
BOXLAB_PUBLIC, BOXLAB_SERVER_<NAME> and BOXLAB_SPEED (the clock speed, default
1), which the exec role exports; it writes its events as the run journal's JSON
lines on stdout; SIGTERM or SIGINT makes it Finish (if the role finishes) and
stop. Exit codes: 0 stopped cleanly, 2 bad options or environment, or the
device failed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if optText != "" && optFile != "" {
				return fmt.Errorf("give --options or --options-file, not both")
			}
			text, name := []byte(optText), "--options"
			if optFile != "" {
				b, err := os.ReadFile(optFile)
				if err != nil {
					return err
				}
				text, name = b, optFile
			}
			where, err := standalone.FromEnviron(os.Environ())
			if err != nil {
				return err
			}
			cat, err := runner.DefaultCatalog()
			if err != nil {
				return err
			}
			opts, err := standalone.Options(cat.Devices, args[0], name, text, where)
			if err != nil {
				return err
			}
			role, _ := cat.Devices.Role(args[0])
			dir, err := os.Getwd()
			if err != nil {
				return err
			}
			return standalone.Run(cmd.Context(), standalone.Config{
				Role: role, Options: opts, Where: where, Out: os.Stdout, Dir: dir, Seed: seed, FinishLimit: finish,
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&optText, "options", "", "the role's options as YAML, e.g. '{acs: acs, period: 10s}'")
	f.StringVar(&optFile, "options-file", "", "a file holding the role's options (YAML)")
	f.Uint64Var(&seed, "seed", 1, "seeds the device's random draws (mixed with the node name)")
	f.DurationVar(&finish, "finish-limit", 700*time.Millisecond, "real time allowed to Finish, and then to stop, after SIGTERM")
	return cmd
}
