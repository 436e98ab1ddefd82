package stb_test

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/stb"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// eventCount counts the events a device logs, by name.
type eventCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (e *eventCount) Enabled(context.Context, slog.Level) bool { return true }
func (e *eventCount) Handle(_ context.Context, r slog.Record) error {
	e.mu.Lock()
	e.n[r.Message]++
	e.mu.Unlock()
	return nil
}
func (e *eventCount) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *eventCount) WithGroup(string) slog.Handler      { return e }
func (e *eventCount) count(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n[name]
}

// startBox runs the stb role by hand on node "pub" (a public address).
func startBox(topo *topology.Topology, ev *eventCount, o stb.KeepaliveOptions) netip.Addr {
	addr := lab.Addr(topo, "pub")
	env := &devices.Env{Node: "pub", NS: topo.Node("pub").NS, Addr: addr, Addrs: []netip.Addr{addr}, Clock: clock.New(1),
		Log: slog.New(ev), Rand: rand.New(rand.NewPCG(1, 1)),
		Server: func(n string) (netip.Addr, bool) { return lab.Addr(topo, n), true }, Public: func() netip.Addr { return addr }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); (&stb.KeepaliveBox{Options: o}).Run(ctx, env) }()
	DeferCleanup(func() { cancel(); <-done })
	return addr
}

// curlGet GETs url with curl from the acs node and returns the status and
// the Authorization header curl sent last (from its -v trace).
func curlGet(topo *topology.Topology, url string, args ...string) (status, authorization string) {
	GinkgoHelper()
	cmd := exec.Command("curl", append(append([]string{"-sv", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}"}, args...), url)...)
	var out, trace bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &trace
	Expect(topo.Node("acs").NS.Start(cmd)).To(Succeed())
	cmd.Wait()
	for _, m := range regexp.MustCompile(`(?m)^> Authorization: (.*?)\r?$`).FindAllStringSubmatch(trace.String(), -1) {
		authorization = m[1]
	}
	return strings.TrimSpace(out.String()), authorization
}

var _ = Describe("stb TCP connection requests with a real HTTP client: curl", func() {
	It("TR-069 §3.2.2 / RFC 7616: curl --digest with the factory credentials is accepted; a wrong password, Basic, a replayed Authorization and a request within the rate limit are not", func() {
		if _, err := exec.LookPath("curl"); err != nil {
			Skip("curl is not installed: the real-peer specs need Debian's curl (apt-get install curl)")
		}
		topo := lab.Build(`
name: spec
duration: 10s
topology:
  servers: [{name: acs, role: udp-echo}, {name: pub, role: udp-echo}]
`)
		ev := &eventCount{n: map[string]int{}}
		o := *stb.DefaultKeepaliveOptions()
		o.ACS, o.CRUsername, o.CRPassword = "acs", "cr-user", "factory-secret"
		o.RateLimit = scenario.Duration(time.Hour) // one accepted request an hour: the second one must get 503
		addr := startBox(topo, ev, o)
		url := "http://" + netip.AddrPortFrom(addr, 7547).String() + "/"

		Eventually(func() string { s, _ := curlGet(topo, url); return s }, 5*time.Second, 200*time.Millisecond).
			Should(Equal("401"), "no credentials: a Digest challenge")
		s, _ := curlGet(topo, url, "--digest", "-u", "cr-user:guessed")
		Expect(s).To(Equal("401"), "wrong password")
		s, _ = curlGet(topo, url, "--basic", "-u", "cr-user:factory-secret")
		Expect(s).To(Equal("401"), "Basic where the box demands Digest")
		s, _ = curlGet(topo, url, "-X", "POST", "--digest", "-u", "cr-user:factory-secret")
		Expect(s).To(Equal("405"), "only GET is a connection request")
		Expect(ev.count("stb.tcp_cr_accepted")).To(BeZero())
		Expect(ev.count("stb.tcp_cr_rejected")).To(Equal(2), "the wrong password and the POST; Basic is only challenged again")

		s, auth := curlGet(topo, url, "--digest", "-u", "cr-user:factory-secret")
		Expect(s).To(Equal("200"))
		Expect(auth).To(HavePrefix("Digest "))
		Expect(ev.count("stb.tcp_cr_accepted")).To(Equal(1))

		s, _ = curlGet(topo, url, "-H", "Authorization: "+auth)
		Expect(s).To(Equal("401"), "RFC 7616 §3.4.5: the same nonce count again is a replay")
		Expect(ev.count("stb.tcp_cr_rejected")).To(Equal(3))

		s, _ = curlGet(topo, url, "--digest", "-u", "cr-user:factory-secret")
		Expect(s).To(Equal("503"), "TR-069 §3.2.2: a valid request within the rate limit")
		Expect(ev.count("stb.tcp_cr_throttled")).To(Equal(1))
		Expect(ev.count("stb.tcp_cr_accepted")).To(Equal(1))
	})
})
