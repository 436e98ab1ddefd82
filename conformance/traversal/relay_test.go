package traversal_test

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/relay"
	"github.com/boxlab/boxlab/devices/rendezvous"
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

var _ = Describe("Seed 001 rendezvous server and the relay", func() {
	relayServer := func(o *rendezvous.Options) {
		o.Relay.Server, o.Relay.Secret = "rv", "spec-secret" // any server name resolves; nothing allocates here
	}
	It("grants TURN REST credentials only to the two sides of a session it offered, the password wrapped for the asker alone; passes relayed addresses between the two sides only; refuses replays", func() {
		topo := lab.Build(twoHomes)
		j := start(topo, "rv", &rendezvous.Server{Options: *serverOptions(relayServer)})
		a := newDevice(topo, "home0-box0", "a", "pa")
		b := newDevice(topo, "home1-box0", "b", "pb")
		c := newDevice(topo, "home1-box0", "victim", "right")
		a.register()
		b.register()
		c.register()
		a.signed(&rendezvous.Msg{Type: rendezvous.TConnect, Target: "b"})
		oa, _ := a.recv()
		Expect(oa.Type).To(Equal(rendezvous.TOffer))
		a.signed(&rendezvous.Msg{Type: rendezvous.TReady, Session: oa.Session})
		b.recv() // its offer

		c.signed(&rendezvous.Msg{Type: rendezvous.TRelayReq, Session: oa.Session})
		m, _ := c.recv()
		Expect(m.Reason).To(Equal(rendezvous.UnknownSession), "a device outside the session gets no credentials for it")

		req := a.signed(&rendezvous.Msg{Type: rendezvous.TRelayReq, Session: oa.Session})
		g, gb := a.recv()
		Expect(g.Type).To(Equal(rendezvous.TRelayGrant))
		Expect(g.Session).To(Equal(oa.Session))
		Expect(g.Public).To(Equal(netip.AddrPortFrom(lab.Addr(topo, "rv"), 3478)))
		pw, err := rendezvous.OpenGrant(gb, a.keys.Wrap)
		Expect(err).NotTo(HaveOccurred())
		_, err = rendezvous.OpenGrant(gb, b.keys.Wrap)
		Expect(err).To(MatchError(rendezvous.ErrUnwrap), "the other side cannot read the asker's password")
		exp, id, err := relay.ParseUsername(g.User)
		Expect(err).NotTo(HaveOccurred())
		Expect(id).To(Equal("a"))
		Expect(exp).To(BeTemporally("~", time.Now().Add(10*time.Minute), 5*time.Second), "short-lived: relay.ttl (10m) of wall-clock time")
		want, err := relay.Check("spec-secret", g.User, time.Now())
		Expect(err).NotTo(HaveOccurred())
		Expect(pw).To(Equal(want), "the TURN REST password of the shared secret")
		a.send(req)
		m, _ = a.recv()
		Expect(m.Reason).To(Equal(rendezvous.Replayed))

		relayed := netip.MustParseAddrPort("198.51.100.9:50000")
		c.signed(&rendezvous.Msg{Type: rendezvous.TRelayAddr, Session: oa.Session, Public: relayed})
		m, _ = c.recv()
		Expect(m.Reason).To(Equal(rendezvous.UnknownSession), "an outsider cannot point b at a relayed address")
		a.signed(&rendezvous.Msg{Type: rendezvous.TRelayAddr, Session: oa.Session, Public: relayed})
		p, pb := b.recv()
		Expect(p.Type).To(Equal(rendezvous.TRelayPeer))
		Expect(p.Public).To(Equal(relayed))
		Expect(p.Session).To(Equal(oa.Session))
		Expect(rendezvous.Verify(pb, b.keys.Auth)).To(BeTrue(), "authenticated under b's key")
		Expect(j.count("rendezvous.relay_granted")()).To(Equal(1))
		Expect(j.count("rendezvous.relay_refused")()).To(Equal(2))
	})

	It("without a relay, a relay request is refused (\"no relay\")", func() {
		topo := lab.Build(twoHomes)
		start(topo, "rv", &rendezvous.Server{Options: *serverOptions(nil)})
		a := newDevice(topo, "home0-box0", "a", "pa")
		b := newDevice(topo, "home1-box0", "b", "pb")
		a.register()
		b.register()
		a.signed(&rendezvous.Msg{Type: rendezvous.TConnect, Target: "b"})
		oa, _ := a.recv()
		a.signed(&rendezvous.Msg{Type: rendezvous.TRelayReq, Session: oa.Session})
		m, _ := a.recv()
		Expect(m.Type).To(Equal(rendezvous.TRefused))
		Expect(m.Reason).To(Equal(rendezvous.NoRelay))
	})
})
