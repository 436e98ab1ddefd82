package traversal_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

var _ = Describe("Seed 001 relay fallback", func() {
	It("scenarios/peer-relay.yaml: symmetric against symmetric and linux-random against port-restricted connect through the TURN relay after the punch window, forgeries refused through it; with relay: false the pair still fails", func() {
		runScenario("../../scenarios/peer-relay.yaml")
	})
	It("scenarios/peer-matrix-relay.yaml: with a relay every cell of the matrix connects, the 37 that punch directly and the 12 that cannot through the relay", func() {
		runScenario("../../scenarios/peer-matrix-relay.yaml")
	})
	It("a real relay: Debian's coturn (turnserver, TURN REST secret) relays a symmetric-to-symmetric session with the credentials our rendezvous server hands out", func() {
		if _, err := exec.LookPath("turnserver"); err != nil {
			Skip("turnserver not installed (Debian package coturn): the relay specs above use our pion/turn role only")
		}
		cat, err := runner.DefaultCatalog()
		Expect(err).NotTo(HaveOccurred())
		s, err := scenario.Parse("coturn.yaml", []byte(coturnScenario), cat)
		Expect(err).NotTo(HaveOccurred())
		out := GinkgoT().TempDir()
		rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: out})
		Expect(err).NotTo(HaveOccurred())
		lab.ExpectPass(rep)
		b, err := os.ReadFile(filepath.Join(out, "turn.stdout"))
		Expect(err).NotTo(HaveOccurred(), "coturn's log")
		log := string(b)
		for _, id := range []string{"sym0-stb0", "tosym0-stb0"} {
			Expect(log).To(MatchRegexp(`user <\d+:`+id+`>: incoming packet ALLOCATE processed, success`), "coturn allocated for %s with its TURN REST user name", id)
		}
		Expect(log).To(ContainSubstring("CREATE_PERMISSION processed, success"))
	})
})

// coturnScenario is a symmetric-to-symmetric pair whose relay is coturn as
// an exec server with the same TURN REST secret as the rendezvous server.
const coturnScenario = `
name: peer-coturn
duration: 16s
speed: 2
topology:
  servers:
    - name: rv
      role: rendezvous
      options:
        heartbeat: 2s
        kdf: {time: 1, memory_kib: 4096, threads: 1}
        relay: {server: turn, secret: coturn-secret}
        generate:
          - {pattern: "sym%d-stb0", count: 1}
          - {pattern: "tosym%d-stb0", count: 1}
    - name: turn
      role: exec
      options:
        command: [sh, -c, 'exec turnserver -c /dev/null -n --listening-ip="$BOXLAB_ADDR" --relay-ip="$BOXLAB_ADDR" --listening-port=3478
          --use-auth-secret --static-auth-secret=coturn-secret --realm=boxlab --no-tls --no-dtls --no-tcp --no-tcp-relay --no-cli
          --log-file=stdout --simple-log --pidfile=turnserver.pid --verbose']
  homes:
    - {name: sym, count: 1, nat: symmetric, devices: [{name: stb, role: peer, options: {server: rv, targets: [tosym0-stb0]}}]}
    - {name: tosym, count: 1, nat: symmetric, devices: [{name: stb, role: peer, options: {server: rv}}]}
assertions:
  - {name: "sym -> sym: punching fails", expect: "count(peer.punch_failed_sym_tosym) >= 1"}
  - {name: "sym -> sym connects through coturn", expect: "count(peer.session_relayed_sym_tosym) >= 1"}
  - {name: the callee accepts, expect: "count(peer.accepted) == 1"}
  - {name: data flows through coturn, expect: "count(peer.pong) >= 5"}
  - {name: session stays up, expect: "count(peer.link_lost) == 0"}
`
