package ratings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	blab "github.com/boxlab/boxlab/conformance/lab"
	execrole "github.com/boxlab/boxlab/devices/exec"
	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/reports"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// The programs under test and what they are told (the contract, see doc.go).
const (
	// EnvServerUnderTest is a shell command (run by /bin/sh -c in the
	// server node's namespace) that runs a vendor's ratings server;
	// default boxlab's own, `boxlab device ratings-server`.
	EnvServerUnderTest = "BOXLAB_RATINGS_UNDER_TEST"
	// EnvViewerUnderTest is a shell command that runs a vendor's viewer
	// terminal in a home device's namespace; default `boxlab device viewer`.
	EnvViewerUnderTest = "BOXLAB_VIEWER_UNDER_TEST"
	// EnvStaleAfter is how long (real time, a Go duration) the suite waits
	// before it expects a server under test to call a nonce stale; default 3s.
	EnvStaleAfter = "BOXLAB_RATINGS_STALE_AFTER"
	// The secret subscriber passwords derive from (ratings.DerivePassword).
	secret = "boxlab"
)

var _ = AfterSuite(blab.RemoveBoxlabBinary)

// underTest is the command of a program under test: [sh, -c, $env] (a
// vendor's), or boxlab's own role run standalone with options.
func underTest(env, role, options string) []string {
	GinkgoHelper()
	cmd, _ := blab.UnderTest(env, func() []string { return []string{blab.BoxlabBinary(), "device", role, "--options", options} })
	return cmd
}

// vendor says whether env names a program under test other than boxlab's.
func vendor(env string) bool { return os.Getenv(env) != "" }

// yamlList renders a command as a YAML flow list of quoted strings.
func yamlList(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// execLab builds a server node and one home device, and runs the server
// under test as an exec program in the server's namespace at speed 1.
func execLab() (*topology.Topology, netip.Addr) {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse("exec-lab.yaml", []byte(`
name: exec-lab
duration: 1m
topology:
  servers: [{name: ratings, role: exec, options: {command: ["true"]}}]
  homes: [{devices: [{name: box, role: viewer, options: {server: ratings}}]}]
`), cat)
	Expect(err).NotTo(HaveOccurred())
	plan, err := topology.NewPlan(s)
	Expect(err).NotTo(HaveOccurred())
	topo, err := topology.Build(context.Background(), plan, topology.Options{Speed: 1, Profiles: cat.NAT})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { topo.Close() })

	prog := &execrole.Program{Options: execrole.Options{
		Command:   underTest(EnvServerUnderTest, "ratings-server", "{nonce_ttl: 2s}"),
		Env:       map[string]string{"BOXLAB_RATINGS_SECRET": secret},
		StopGrace: scenario.Duration(5 * time.Second),
	}}
	started := blab.StartDevice(topo, "ratings", prog, 1)
	DeferCleanup(func() {
		if CurrentSpecReport().Failed() {
			blab.PrintTail(filepath.Join(started.Env.OutDir, "ratings.stderr"), 20)
		}
	})
	addr := topo.Node("ratings").Addr().Addr()
	return topo, addr
}

// runIn runs scenario text through the runner with its report in out.
func runIn(out, name, text string) *reports.Run {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse(name, []byte(text), cat)
	Expect(err).NotTo(HaveOccurred())
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: out})
	Expect(err).NotTo(HaveOccurred())
	return rep
}

// events reads a run's journal.
func events(out string) []map[string]any {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(out, "events.jsonl"))
	Expect(err).NotTo(HaveOccurred())
	var evs []map[string]any
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e map[string]any
		Expect(json.Unmarshal(line, &e)).To(Succeed())
		evs = append(evs, e)
	}
	return evs
}

// exactServer is the options of boxlab's own server under test in the
// exactness run: the ratings.yaml channels, a rating window.
const exactServer = `{channels: 8, programme: 2m, min_viewing: 1m, windows: [{name: ch01-early, service: "01", from: 0s, to: 2m}]}`

var _ = Describe("Exactness of a ratings server under test (exec node, driven by our viewers)", func() {
	It("seed 004: its records and its own /ratings equal the ground truth our viewers recorded; forged reports are not counted", func() {
		cmd := underTest(EnvServerUnderTest, "ratings-server", exactServer)
		text := fmt.Sprintf(`
name: ratings-exec-server
description: a ratings server under test (exec) with 30 simulated viewers in 15 homes and a forger; ratings-judge compares at the end
speed: 20
duration: 4m
seed: 11
topology:
  servers:
    - name: ratings
      role: exec
      options: {command: %s, env: {BOXLAB_RATINGS_SECRET: %s}, stop_grace: 5s}
    - {name: judge, role: ratings-judge, options: {server: ratings}}
  homes:
    - {name: home, count: 15, nat: linux, devices: [{name: viewer, role: viewer, count: 2, options: {server: ratings, dwell: 30s, pause: 5s}}]}
    - {name: rogue, count: 1, nat: linux, devices: [{name: viewer, role: viewer, options: {server: ratings, forge: true, dwell: 20s}}]}
assertions:
  - {name: viewings were counted, expect: "ratings.summary.viewings_truth > 20"}
  - {name: the judge read the API, expect: "count(ratings.judge_error) == 0"}
  - {name: server counts what was watched, expect: "ratings.summary.viewings_server == ratings.summary.viewings_truth"}
  - {name: records exact per channel programme and window, expect: "max(ratings.compare.abs_error) == 0"}
  - {name: its own ratings exact, expect: "max(ratings.api_compare.abs_error) == 0"}
  - {name: no record lost, expect: "count(ratings.missing) == 0"}
  - {name: record times exact, expect: "count(ratings.mismatch) == 0"}
  - {name: forged reports not counted, expect: "count(ratings.forged_counted) == 0"}
  - {name: forgeries were tried, expect: "count(stb.forge) > 0"}
  - {name: no forgery accepted, expect: "count(stb.forge_accepted) == 0"}
  - {name: every viewer logged out, expect: "ratings.summary.open_server == 0"}
`, yamlList(cmd), secret)
		out := GinkgoT().TempDir()
		rep := runIn(out, "ratings-exec-server.yaml", text)
		var b strings.Builder
		fmt.Fprintf(&b, "exactness of the ratings server under test (%s):\n", serverName())
		for _, a := range rep.Assertions {
			fmt.Fprintf(&b, "  %-5v %s: measured %s, expected %s\n", a.Pass, a.Name, a.Measured, a.Expected)
		}
		AddReportEntry("ratings server exactness", b.String())
		blab.ExpectPass(rep)
	})
})

// terminalCheck is one rule a viewer terminal under test is checked for,
// measured on our server's journal; a rule with no evidence (no report
// accepted) is not followed.
type terminalCheck struct {
	rule string
	ok   func(c terminalCounts) bool
}

// terminalCounts are what our server saw of the terminals under test.
type terminalCounts struct {
	logins, logouts, rejected, authFail, stale, early, online, controlRejected, records, open, unexplained, answers int
	reasons                                                                                                         map[string]int
}

func countTerminal(evs []map[string]any, users map[string]bool) terminalCounts {
	c := terminalCounts{reasons: map[string]int{}}
	str := func(e map[string]any, k string) string { s, _ := e[k].(string); return s }
	num := func(e map[string]any, k string) int { f, _ := e[k].(float64); return int(f) }
	for _, e := range evs {
		if str(e, "node") != "ratings" {
			continue
		}
		switch str(e, "event") {
		case "ratings.report":
			if users[str(e, "user")] {
				if str(e, "type") == string(ratings.LogIn) {
					c.logins++
				} else {
					c.logouts++
				}
			}
		case "ratings.rejected":
			c.rejected++
			c.reasons[str(e, "reason")]++
		case "ratings.auth_fail":
			if str(e, "reason") == "stale" {
				c.stale++
			} else {
				c.authFail++
				c.reasons["auth:"+str(e, "reason")]++
			}
		case "ratings.early_login":
			c.early++
		case "ratings.online":
			if users[str(e, "user")] {
				c.online++
			}
		case "ratings.control_rejected":
			c.controlRejected++
			c.reasons["control:"+str(e, "reason")]++
		case "ratings.summary":
			c.records, c.open = num(e, "records_server"), num(e, "open_server")
		case "ratings.poll_compare":
			c.unexplained += num(e, "unexplained")
		case "ratings.polls":
			c.answers = num(e, "answers")
		}
	}
	return c
}

var _ = Describe("A viewer terminal under test (exec node; "+EnvViewerUnderTest+")", func() {
	It("seed 004: our server finds its LogReport messages well-formed and consistent, its Digest and control-channel auth correct, its viewings closed", func() {
		cmd := underTest(EnvViewerUnderTest, "viewer", "{server: ratings, dwell: 30s, pause: 5s}")
		text := fmt.Sprintf(`
name: ratings-exec-viewer
description: three viewer terminals under test (exec) behind NATs watch our ratings server, which checks what they send; stopped before the end so they log out
speed: 20
duration: 4m
seed: 12
topology:
  servers:
    - {name: ratings, role: ratings-server, options: {channels: 8, programme: 2m, min_viewing: 1m, poll: 20s}}
  homes:
    - name: home
      count: 3
      nat: linux
      devices:
        - {name: term, role: exec, options: {command: %s, env: {BOXLAB_RATINGS_SECRET: %s}, stop_grace: 5s}}
timeline:
  - {name: stop-terminals, at: 3m40s, do: device-crash, on: homes.term}
assertions:
  - {name: the server saw reports, expect: "count(ratings.report) > 0"}
`, yamlList(cmd), secret)
		out := GinkgoT().TempDir()
		rep := runIn(out, "ratings-exec-viewer.yaml", text)
		users := map[string]bool{"home0-term0": true, "home1-term0": true, "home2-term0": true}
		c := countTerminal(events(out), users)
		checks := []terminalCheck{
			{"it came online on the control channel (HMAC proof accepted)", func(c terminalCounts) bool { return c.online > 0 && c.controlRejected == 0 }},
			{"Digest: it answers the 401 challenge and authenticates (stale nonces renewed)", func(c terminalCounts) bool { return c.logins > 0 && c.authFail == 0 }},
			{"LogReport: every message parsed and matched its content session (no 4xx)", func(c terminalCounts) bool { return c.logins > 0 && c.rejected == 0 }},
			{"seed 004 §5: LogInInfo only after the minimum viewing time", func(c terminalCounts) bool { return c.logins > 0 && c.early == 0 }},
			{"seed 004: every viewing it logged in was logged out when it stopped", func(c terminalCounts) bool { return c.logins > 0 && c.logouts == c.logins && c.open == 0 }},
			{"seed 004 §7 method B: its poll answers agree with its reports", func(c terminalCounts) bool { return c.answers > 0 && c.unexplained == 0 }},
		}
		var b strings.Builder
		fmt.Fprintf(&b, "viewer terminal under test (%s): %d LogInInfo, %d LogOutInfo, %d records, %d stale nonces renewed, %d poll answers; refusals %v\n",
			terminalName(), c.logins, c.logouts, c.records, c.stale, c.answers, c.reasons)
		failed := []string{}
		for _, ch := range checks {
			mark := "yes"
			if !ch.ok(c) {
				mark = "no "
				failed = append(failed, ch.rule)
			}
			fmt.Fprintf(&b, "  %s  %s\n", mark, ch.rule)
		}
		AddReportEntry("viewer terminal rules", b.String())
		GinkgoWriter.Print(b.String())
		Expect(failed).To(BeEmpty(), b.String())
		blab.ExpectPass(rep)
	})
})

func terminalName() string {
	if vendor(EnvViewerUnderTest) {
		return os.Getenv(EnvViewerUnderTest)
	}
	return "boxlab device viewer"
}
