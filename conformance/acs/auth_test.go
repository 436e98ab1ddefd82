package acs_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/topology"
)

// startACSWith runs the acs role with options o in the acs node's namespace.
func startACSWith(topo *topology.Topology, ev *events, o acs.Options) netip.Addr {
	return startACSIn(topo, ev, o, "")
}

// startACSIn is startACSWith with dir as the output folder (where a TLS
// ACS writes acs-ca.pem).
func startACSIn(topo *topology.Topology, ev *events, o acs.Options, dir string) netip.Addr {
	n := topo.Node("acs")
	addr := lab.Addr(topo, "acs")
	env := &devices.Env{Node: "acs", NS: n.NS, Addr: addr, Addrs: []netip.Addr{addr}, Clock: clock.New(1), OutDir: dir,
		Log: slog.New(ev), Rand: rand.New(rand.NewPCG(1, 1)),
		Server: func(string) (netip.Addr, bool) { return addr, true }, Public: func() netip.Addr { return addr }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); (&acs.Server{Options: o}).Run(ctx, env) }()
	DeferCleanup(func() { cancel(); <-done })
	return addr
}

// curlPost POSTs a file (or nothing) with curl from the box's namespace and
// returns the HTTP status and the body.
func curlPost(topo *topology.Topology, jar, bodyFile, url string, args ...string) (string, []byte) {
	GinkgoHelper()
	out := filepath.Join(GinkgoT().TempDir(), "out")
	data := "@" + bodyFile
	if bodyFile == "" {
		data = ""
	}
	all := append([]string{"-s", "--max-time", "5", "-o", out, "-w", "%{http_code}", "-b", jar, "-c", jar,
		"-H", `Content-Type: text/xml; charset="utf-8"`, "-H", `SOAPAction: ""`, "--data-binary", data}, args...)
	cmd := exec.Command("curl", append(all, url)...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	Expect(topo.Node("home0-box0").NS.Start(cmd)).To(Succeed())
	cmd.Wait()
	body, _ := os.ReadFile(out)
	return strings.TrimSpace(stdout.String()), body
}

var _ = Describe("CWMP authentication with a real HTTP client: curl", Ordered, func() {
	var (
		topo *topology.Topology
		ev   *events
		box  string // the Inform of serial "box", as a file
		pw   string
	)
	BeforeAll(func() {
		if _, err := exec.LookPath("curl"); err != nil {
			Skip("curl is not installed: the real-peer specs need Debian's curl (apt-get install curl)")
		}
		topo = lab.Build(twoHomes)
		ev = &events{}
		local := netip.AddrPortFrom(lab.Addr(topo, "home0-box0"), 7547)
		box = filepath.Join(GinkgoT().TempDir(), "inform.xml")
		in := inform("box", cwmp.RootTR181, local, cwmp.EventBootstrap, cwmp.EventBoot)
		Expect(os.WriteFile(box, cwmp.Encode(&cwmp.Envelope{ID: "curl-1", Body: in}), 0o644)).To(Succeed())
		pw = acs.CPEPassword(acs.DefaultSecret, "box")
	})

	// expectSession checks that an InformResponse came back and the session
	// goes on: the empty POST (same cookie, credentials again) gets the STUN
	// parameters.
	expectSession := func(url, jar string, auth ...string) {
		GinkgoHelper()
		var code string
		var body []byte
		Eventually(func() string {
			code, body = curlPost(topo, jar, box, url, auth...)
			return code
		}, "5s", "200ms").Should(Equal("200"))
		env, err := cwmp.Parse(body)
		Expect(err).NotTo(HaveOccurred(), "%s", body)
		Expect(env.Body).To(BeAssignableToTypeOf(&cwmp.InformResponse{}))
		code, body = curlPost(topo, jar, "", url, auth...)
		Expect(code).To(Equal("200"), "TR-069 §3.7: the empty POST of the authenticated session")
		env, err = cwmp.Parse(body)
		Expect(err).NotTo(HaveOccurred(), "%s", body)
		Expect(env.Body).To(BeAssignableToTypeOf(&cwmp.SetParameterValues{}))
	}

	It("TR-069 §3.4.4 / RFC 7616: curl --digest with the right password opens a CWMP session; a wrong one gets 401 and nothing is recorded", func() {
		o := *acs.DefaultOptions()
		o.Auth = httpauth.Digest
		addr := startACSWith(topo, ev, o)
		url := fmt.Sprintf("http://%s/", netip.AddrPortFrom(addr, 7547))
		jar := filepath.Join(GinkgoT().TempDir(), "jar")
		Eventually(func() string { code, _ := curlPost(topo, jar, box, url); return code }, "5s", "200ms").Should(Equal("401"), "no credentials: a challenge")

		for name, args := range map[string][]string{
			"wrong password":                 {"--digest", "-u", "box:guessed"},
			"another box's password":         {"--digest", "-u", "box:" + acs.CPEPassword(acs.DefaultSecret, "other")},
			"Basic where Digest is required": {"--basic", "-u", "box:" + pw},
			"an empty username":              {"--digest", "-u", ":" + pw},
		} {
			code, _ := curlPost(topo, jar, box, url, args...)
			Expect(code).To(Equal("401"), name)
		}
		code, _ := curlPost(topo, jar, box, url, "--digest", "-u", "other:"+acs.CPEPassword(acs.DefaultSecret, "other"))
		Expect(code).To(Equal("403"), "right credentials of another device: the user must be the Inform's SerialNumber")
		Expect(ev.count("acs.auth_fail")).To(Equal(4), "each refusal counted; Basic credentials to a Digest URL are only challenged again")
		Expect(ev.count("acs.boot")).To(BeZero(), "a refused Inform registers nothing")
		Expect(ev.count("acs.session")).To(BeZero())
		resp, err := httpFrom(topo, "home0-box0").Get(url + "api/devices")
		Expect(err).NotTo(HaveOccurred())
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		Expect(strings.TrimSpace(b.String())).To(Equal("null"), "no device recorded")

		expectSession(url, jar, "--digest", "-u", "box:"+pw)
		Expect(ev.count("acs.boot")).To(Equal(1))
		Expect(ev.count("acs.auth_fail")).To(Equal(4), "curl's own first request is a challenge, not a failure")
	})

	It("RFC 7617: with auth basic, curl --basic with the right password opens the session; a wrong one gets 401", func() {
		o := *acs.DefaultOptions()
		o.Auth, o.HTTPPort, o.STUNPort = httpauth.Basic, 7548, 3479
		addr := startACSWith(topo, ev, o)
		url := fmt.Sprintf("http://%s/", netip.AddrPortFrom(addr, 7548))
		jar := filepath.Join(GinkgoT().TempDir(), "jar")
		before := ev.count("acs.auth_fail")
		Eventually(func() string {
			code, _ := curlPost(topo, jar, box, url, "--basic", "-u", "box:guessed")
			return code
		}, "5s", "200ms").Should(Equal("401"))
		Expect(ev.count("acs.auth_fail")).To(Equal(before + 1))
		expectSession(url, jar, "--basic", "-u", "box:"+pw)
	})
})

var _ = Describe("boxlab's STB answers the ACS's challenge", func() {
	It("TR-069 §3.4.4: with auth basic every box logs in with Basic and comes online; a wrong password never does", func() {
		expectPass(runText("basic.yaml", `
name: basic
speed: 4
duration: 30s
topology:
  servers:
    - {name: acs, role: acs, options: {period: 10s, auth: basic}}
  homes:
    - {name: ok, count: 2, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs}}]}
    - {name: bad, count: 1, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs, wrong_password: true}}]}
assertions:
  - {name: both good boxes online, expect: "count(acs.online) == 2"}
  - {name: they answered Basic, expect: "count(stb.auth_challenged) >= 3"}
  - {name: the wrong password is refused, expect: "count(stb.auth_refused) >= 3"}
  - {name: and counted, expect: "acs.auth_stats.auth_fail_bad_password >= count(stb.auth_refused)"}
  - {name: only two boxes booted, expect: "count(acs.boot) == 2"}
`))
	})
})
