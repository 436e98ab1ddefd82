package igd_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

// The engine runs a home group's gateway_role in the gateway namespace with
// the NAT as its port mapper: a whole scenario, upnpc as an exec device
// (12 s: each upnpc run discovers for 2 s or more on a loaded machine).
var _ = It("runs gateway_role igd in a scenario: an exec upnpc on the LAN maps a port through it", func() {
	if _, err := exec.LookPath("upnpc"); err != nil {
		Skip("upnpc not installed (Debian package miniupnpc)")
	}
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse("spec.yaml", []byte(`
name: gateway-role
duration: 12s
pools: {public: `+publicPool+`}
topology:
  servers: [{name: s1, role: udp-echo}]
  homes:
    - nat: linux
      gateway_role: igd
      gateway_options: {version: 1}
      devices:
        - name: up
          role: exec
          options: {command: [sh, -c, "upnpc -s; upnpc -r 4500 UDP; sleep 30"]}
`), cat)
	Expect(err).NotTo(HaveOccurred())
	out := GinkgoT().TempDir()
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: out})
	Expect(err).NotTo(HaveOccurred())
	Expect(rep.Error).To(BeEmpty())
	b, err := os.ReadFile(filepath.Join(out, "home0-up0.stdout"))
	Expect(err).NotTo(HaveOccurred())
	Expect(string(b)).To(ContainSubstring("Found valid IGD"))
	Expect(string(b)).To(ContainSubstring("UDP is redirected to internal 192.168.1.100:4500"))
	ev, err := os.ReadFile(filepath.Join(out, "events.jsonl"))
	Expect(err).NotTo(HaveOccurred())
	Expect(string(ev)).To(ContainSubstring("igd.mapping_added"))
})
