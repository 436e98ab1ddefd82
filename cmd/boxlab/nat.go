package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/boxlab/boxlab/devices/natprobe"
	"github.com/boxlab/boxlab/nat/discover"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

// natCmd groups the NAT commands.
func natCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "nat", Short: "Measure NAT behaviour"}
	cmd.AddCommand(probeCmd(), conformCmd())
	return cmd
}

func probeCmd() *cobra.Command {
	var (
		profile, natOptions, isp, out string
		lifetime                      time.Duration
		speed                         float64
		asJSON                        bool
	)
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Build a home behind a NAT profile and discover its behaviour from the LAN (RFC 5780)",
		Long: `probe builds a small topology — an RFC 5780 STUN server with two addresses in the
core, one home behind --nat (optionally behind an ISP CGNAT, --isp) — runs the
nat-probe role on a LAN device and prints what it found: mapping and filtering
behaviour, port preservation, hairpinning and, with --lifetime, the UDP mapping
lifetime (simulated time; raise --speed to measure long timeouts quickly).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := runner.DefaultCatalog()
			if err != nil {
				return err
			}
			src := probeScenario(profile, natOptions, isp, lifetime, speed)
			s, err := scenario.Parse("nat-probe", []byte(src), cat)
			if err != nil {
				return &exitError{code: exitSetup, err: fmt.Errorf("%w\n(generated scenario:\n%s)", err, src)}
			}
			if out == "" {
				out = filepath.Join("out", "nat-probe-"+profile+"-"+time.Now().Format("20060102-150405"))
			}
			console := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})
			rep, err := runner.Run(cmd.Context(), runner.Config{Scenario: s, Catalog: cat, OutDir: out, Console: console})
			if err != nil {
				return &exitError{code: exitSetup, err: err}
			}
			b, err := os.ReadFile(filepath.Join(out, natprobe.ReportFile("home0-probe0")))
			if err != nil {
				return &exitError{code: exitSetup, err: fmt.Errorf("the probe wrote no report (see %s/events.jsonl): %w", out, err)}
			}
			if asJSON {
				os.Stdout.Write(b)
				return nil
			}
			var r discover.Report
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			fmt.Printf("NAT %s (probed in %v of simulated time):\n%s\n", profile, time.Duration(rep.SimDuration), r.String())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&profile, "nat", "linux", "NAT profile of the home gateway (boxlab roles lists them)")
	f.StringVar(&natOptions, "nat-options", "", "nat_options of the profile, as YAML flow mapping, e.g. '{command: [...]}'")
	f.StringVar(&isp, "isp", "", "put the home behind an ISP CGNAT with this NAT profile (double NAT)")
	f.DurationVar(&lifetime, "lifetime", 0, "measure the UDP mapping lifetime up to this bound (simulated time; 0 = skip)")
	f.Float64Var(&speed, "speed", 1, "simulated seconds per real second (kernel NAT timeouts scale with it)")
	f.StringVarP(&out, "out", "o", "", "run folder (default out/nat-probe-<nat>-<time>)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// probeScenario is the scenario `boxlab nat probe` runs.
func probeScenario(profile, natOptions, isp string, lifetime time.Duration, speed float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: nat-probe\nduration: 24h\nspeed: %g\ntopology:\n", speed)
	b.WriteString("  servers: [{name: stun, role: stun-5780, addresses: 2}]\n")
	home := "{nat: " + yamlString(profile)
	if natOptions != "" {
		home += ", nat_options: " + natOptions
	}
	if isp != "" {
		fmt.Fprintf(&b, "  isps: [{name: isp, nat: %s}]\n", yamlString(isp))
		home += ", isp: isp"
	}
	home += fmt.Sprintf(", devices: [{name: probe, role: nat-probe, options: {server: stun, end_run: true, lifetime: %s}}]}", lifetime)
	b.WriteString("  homes: [" + home + "]\n")
	return b.String()
}

func yamlString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
