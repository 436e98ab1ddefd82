package ratings_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// lab builds a server and one home and runs a ratings-server with user
// alice (password wonderland) in the server's namespace; mods change its
// options.
func lab(mods ...func(*ratings.ServerOptions)) (*topology.Topology, netip.Addr) {
	GinkgoHelper()
	return labLogged(nil, mods...)
}

// labLogged is lab with the server's events written to journal (JSON lines).
func labLogged(journal *syncBuffer, mods ...func(*ratings.ServerOptions)) (*topology.Topology, netip.Addr) {
	GinkgoHelper()
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Parse("curl.yaml", []byte(`
name: curl
duration: 1m
topology:
  servers: [{name: ratings, role: ratings-server, options: {users: {alice: wonderland}}}]
  homes: [{devices: [{name: box, role: viewer, options: {server: ratings}}]}]
`), cat)
	Expect(err).NotTo(HaveOccurred())
	plan, err := topology.NewPlan(s)
	Expect(err).NotTo(HaveOccurred())
	topo, err := topology.Build(context.Background(), plan, topology.Options{Speed: 1, Profiles: cat.NAT})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { topo.Close() })

	srvNode := topo.Node("ratings")
	opts := ratings.DefaultServerOptions()
	opts.Users = map[string]string{"alice": "wonderland"}
	for _, m := range mods {
		m(opts)
	}
	dev := &ratings.Server{Options: *opts}
	log := slog.New(slog.DiscardHandler)
	if journal != nil {
		log = slog.New(slog.NewJSONHandler(journal, nil))
	}
	env := &devices.Env{Node: "ratings", NS: srvNode.NS, Addr: srvNode.Addr().Addr(), Clock: clock.New(1),
		Log: log, OutDir: GinkgoT().TempDir(), Truth: devices.NewTruth()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dev.Run(ctx, env) }()
	DeferCleanup(func() { cancel(); Eventually(done, 5*time.Second).Should(Receive(BeNil())) })
	return topo, srvNode.Addr().Addr()
}

// watch opens a content session as user from the home's device namespace
// and returns its id and programme.
func watch(topo *topology.Topology, srv netip.Addr, user string) (string, string) {
	GinkgoHelper()
	var c net.Conn
	Eventually(func() error {
		var err error
		c, err = topo.Node("home0-box0").NS.DialContext(context.Background(), "tcp4", netip.AddrPortFrom(srv, 8554).String())
		return err
	}, 5*time.Second, 100*time.Millisecond).Should(Succeed())
	DeferCleanup(c.Close)
	fmt.Fprintf(c, "WATCH %s 01\n", user)
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var session, program string
	for session == "" || program == "" {
		line, err := r.ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		l, err := ratings.ParseStreamLine(strings.TrimSuffix(line, "\n"))
		Expect(err).NotTo(HaveOccurred())
		switch l.Kind {
		case "SESSION":
			session = l.Session
		case "FRAME":
			program = l.Frame.Program
		}
	}
	return session, program
}

// curl runs curl in the home's device namespace and returns the final
// HTTP status it printed.
func curl(topo *topology.Topology, args ...string) string {
	GinkgoHelper()
	cmd := exec.Command("curl", append([]string{"-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	Expect(topo.Node("home0-box0").NS.Start(cmd)).To(Succeed())
	cmd.Wait()
	return strings.TrimSpace(out.String())
}

var _ = Describe("A real Digest peer: curl --digest", func() {
	BeforeEach(func() {
		if _, err := exec.LookPath("curl"); err != nil {
			Skip("curl is not installed: the real-peer specs need Debian's curl (apt-get install curl)")
		}
	})

	It("RFC 7616: authenticates a LogInInfo with the right password and is refused with a wrong one", func() {
		topo, srv := lab()
		session, program := watch(topo, srv, "alice")
		body := ratings.LogReport{MessageType: ratings.LogIn, UserID: "alice", ServiceID: "01", ProgramID: program,
			OnlineState: "online", IMSI: "001010000000001", ChannelStat: session}.Marshal()
		url := fmt.Sprintf("http://%s:8080/report", srv)
		post := []string{"-H", "Content-Type: text/xml", "--data-binary", string(body), url}
		Eventually(func() string {
			return curl(topo, append([]string{"--digest", "-u", "alice:wonderland"}, post...)...)
		}, 5*time.Second, 200*time.Millisecond).Should(Equal("200"))
		Expect(curl(topo, append([]string{"--digest", "-u", "alice:guess"}, post...)...)).To(Equal("401"), "wrong password")
		Expect(curl(topo, post...)).To(Equal("401"), "no credentials: a 401 challenge")
		Expect(curl(topo, append([]string{"--basic", "-u", "alice:wonderland"}, post...)...)).To(Equal("401"), "Basic is not Digest")

		// What the server stored: exactly alice's one viewing, still open.
		vs := viewings(topo, srv)
		Expect(vs).To(ContainSubstring(session))
		Expect(strings.Count(vs, `"session"`)).To(Equal(1))
	})

	It("forged reports are refused and not stored: another user's name, another user's body, bad XML", func() {
		topo, srv := lab()
		session, program := watch(topo, srv, "bob")
		url := fmt.Sprintf("http://%s:8080/report", srv)
		body := ratings.LogReport{MessageType: ratings.LogIn, UserID: "bob", ServiceID: "01", ProgramID: program,
			OnlineState: "online", IMSI: "001010000000002", ChannelStat: session}.Marshal()
		post := []string{"-H", "Content-Type: text/xml", "--data-binary", string(body), url}
		Eventually(func() string { return curl(topo, post...) }, 5*time.Second, 200*time.Millisecond).Should(Equal("401"))
		Expect(curl(topo, append([]string{"--digest", "-u", "bob:wonderland"}, post...)...)).To(Equal("401"), "bob with alice's password")
		Expect(curl(topo, append([]string{"--digest", "-u", "alice:wonderland"}, post...)...)).To(Equal("403"), "alice posting bob's report")
		bad := []string{"--digest", "-u", "alice:wonderland", "-H", "Content-Type: text/xml", "--data-binary",
			`<!DOCTYPE x [<!ENTITY a "b">]><LogReport/>`, url}
		Expect(curl(topo, bad...)).To(Equal("400"), "a DTD is refused")
		Expect(viewings(topo, srv)).To(Equal("null"), "nothing stored")
	})
})

// viewings fetches the server's stored viewing records (JSON) with curl.
func viewings(topo *topology.Topology, srv netip.Addr) string {
	GinkgoHelper()
	cmd := exec.Command("curl", "-s", "--max-time", "5", fmt.Sprintf("http://%s:8080/viewings", srv))
	var out bytes.Buffer
	cmd.Stdout = &out
	Expect(topo.Node("home0-box0").NS.Start(cmd)).To(Succeed())
	Expect(cmd.Wait()).To(Succeed())
	return strings.TrimSpace(out.String())
}
