package acs_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/sim/topology"
)

// curlTLS POSTs a file with curl from the box's namespace and returns the
// HTTP status ("000" when no response), curl's exit code and the body.
func curlTLS(topo *topology.Topology, jar, bodyFile, url string, args ...string) (string, int, []byte) {
	GinkgoHelper()
	out := filepath.Join(GinkgoT().TempDir(), "out")
	all := append([]string{"-s", "--max-time", "5", "-o", out, "-w", "%{http_code}", "-b", jar, "-c", jar,
		"-H", `Content-Type: text/xml; charset="utf-8"`, "-H", `SOAPAction: ""`, "--data-binary", "@" + bodyFile}, args...)
	cmd := exec.Command("curl", append(all, url)...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	Expect(topo.Node("home0-box0").NS.Start(cmd)).To(Succeed())
	exit := 0
	var ee *exec.ExitError
	if err := cmd.Wait(); errors.As(err, &ee) {
		exit = ee.ExitCode()
	}
	body, _ := os.ReadFile(out)
	return strings.TrimSpace(stdout.String()), exit, body
}

// curl's exit codes for a refused peer certificate (60) and a failed
// handshake or a connection the server closed during it (35, 56).
const curlBadPeerCert = 60

var _ = Describe("CWMP over HTTPS with a real TLS client: curl", Ordered, func() {
	var (
		topo *topology.Topology
		ev   *events
		box  string
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
		Expect(os.WriteFile(box, cwmp.Encode(&cwmp.Envelope{ID: "tls-1", Body: in}), 0o644)).To(Succeed())
		pw = acs.CPEPassword(acs.DefaultSecret, "box")
	})

	It("TR-069 §3.4: curl --cacert <out>/acs-ca.pem --digest opens a session over TLS; without the run's CA curl refuses the certificate, and plain HTTP gets nothing", func() {
		dir := GinkgoT().TempDir()
		o := *acs.DefaultOptions()
		o.TLS, o.Auth, o.HTTPPort, o.STUNPort = true, httpauth.Digest, 7549, 3480
		addr := startACSIn(topo, ev, o, dir)
		ca := filepath.Join(dir, acs.CAFileName("acs"))
		Eventually(ca, "5s", "50ms").Should(BeAnExistingFile(), "the run's CA certificate is written to the output folder")
		url := fmt.Sprintf("https://%s/", netip.AddrPortFrom(addr, 7549))
		jar := filepath.Join(GinkgoT().TempDir(), "jar")

		code, exit, _ := curlTLS(topo, jar, box, url, "--digest", "-u", "box:"+pw)
		Expect(exit).To(Equal(curlBadPeerCert), "without --cacert curl does not trust the run's CA")
		Expect(code).To(Equal("000"))
		Eventually(func() int { return ev.count("acs.tls_error") }, "3s", "50ms").Should(BeNumerically(">=", 1), "the refused handshake is counted")
		Expect(ev.count("acs.auth_fail")+ev.count("acs.boot")).To(BeZero(), "no HTTP request got through")

		code, exit, _ = curlTLS(topo, jar, box, strings.Replace(url, "https:", "http:", 1), "--digest", "-u", "box:"+pw)
		Expect(code).NotTo(Equal("200"), "plain HTTP to the TLS port (exit %d)", exit)

		code, exit, body := curlTLS(topo, jar, box, url, "--cacert", ca, "--digest", "-u", "box:"+pw)
		Expect(exit).To(BeZero())
		Expect(code).To(Equal("200"))
		env, err := cwmp.Parse(body)
		Expect(err).NotTo(HaveOccurred(), "%s", body)
		Expect(env.Body).To(BeAssignableToTypeOf(&cwmp.InformResponse{}))
		Expect(ev.count("acs.boot")).To(Equal(1))

		code, _, _ = curlTLS(topo, jar, box, url, "--cacert", ca, "--digest", "-u", "box:guessed")
		Expect(code).To(Equal("401"), "over TLS the credentials are still checked")
		Expect(ev.count("acs.auth_insecure")).To(BeZero())
	})

	It("TR-069 §3.4: with client_cert require, a client without a certificate from the run's CA gets no session; curl --cert <out>/acs-client.pem with Basic does", func() {
		dir := GinkgoT().TempDir()
		o := *acs.DefaultOptions()
		o.TLS, o.ClientCert, o.Auth, o.HTTPPort, o.STUNPort = true, acs.ClientCertRequire, httpauth.Basic, 7550, 3481
		addr := startACSIn(topo, ev, o, dir)
		ca := filepath.Join(dir, acs.CAFileName("acs"))
		cf, kf := acs.ClientFileNames("acs")
		cert, key := filepath.Join(dir, cf), filepath.Join(dir, kf)
		Eventually(key, "5s", "50ms").Should(BeAnExistingFile())
		url := fmt.Sprintf("https://%s/", netip.AddrPortFrom(addr, 7550))
		jar := filepath.Join(GinkgoT().TempDir(), "jar")
		before, boots := ev.count("acs.tls_error"), ev.count("acs.boot")

		code, exit, _ := curlTLS(topo, jar, box, url, "--cacert", ca, "--basic", "-u", "box:"+pw)
		Expect(code).To(Equal("000"), "no client certificate: the handshake fails (curl exit %d)", exit)
		Expect(exit).NotTo(BeZero())
		Eventually(func() int { return ev.count("acs.tls_error") }, "3s", "50ms").Should(BeNumerically(">", before))
		Expect(ev.count("acs.boot")).To(Equal(boots))

		code, exit, body := curlTLS(topo, jar, box, url, "--cacert", ca, "--cert", cert, "--key", key, "--basic", "-u", "box:"+pw)
		Expect(exit).To(BeZero())
		Expect(code).To(Equal("200"), "%s", body)
		Expect(ev.count("acs.boot")).To(Equal(boots + 1))
		Expect(ev.count("acs.auth_insecure")).To(BeZero(), "Basic over TLS is what TR-069 allows")
	})

	It("cert_identity: a certificate from the run's CA that names another device gets 403 and is counted; none at all too", func() {
		dir := GinkgoT().TempDir()
		o := *acs.DefaultOptions()
		o.TLS, o.ClientCert, o.CertIdentity, o.HTTPPort, o.STUNPort = true, acs.ClientCertRequest, true, 7552, 3483
		addr := startACSIn(topo, ev, o, dir)
		ca := filepath.Join(dir, acs.CAFileName("acs"))
		cf, kf := acs.ClientFileNames("acs")
		Eventually(filepath.Join(dir, kf), "5s", "50ms").Should(BeAnExistingFile())
		url := fmt.Sprintf("https://%s/", netip.AddrPortFrom(addr, 7552))
		jar := filepath.Join(GinkgoT().TempDir(), "jar")
		fails, boots := ev.count("acs.auth_fail"), ev.count("acs.boot")
		code, _, body := curlTLS(topo, jar, box, url, "--cacert", ca, "--cert", filepath.Join(dir, cf), "--key", filepath.Join(dir, kf))
		Expect(code).To(Equal("403"), "the certificate names acs-client, the Inform device box: %s", body)
		code, _, _ = curlTLS(topo, jar, box, url, "--cacert", ca)
		Expect(code).To(Equal("403"), "no certificate to name the device")
		Expect(ev.count("acs.auth_fail")).To(Equal(fails + 2))
		Expect(ev.count("acs.boot")).To(Equal(boots), "a refused Inform registers nothing")
	})

	It("Basic over plain HTTP is allowed but logged once per server as acs.auth_insecure", func() {
		o := *acs.DefaultOptions()
		o.Auth, o.HTTPPort, o.STUNPort = httpauth.Basic, 7551, 3482
		addr := startACSWith(topo, ev, o)
		url := fmt.Sprintf("http://%s/", netip.AddrPortFrom(addr, 7551))
		jar := filepath.Join(GinkgoT().TempDir(), "jar")
		Eventually(func() string { code, _, _ := curlTLS(topo, jar, box, url, "--basic", "-u", "box:"+pw); return code }, "5s", "100ms").Should(Equal("200"))
		curlTLS(topo, jar, box, url, "--basic", "-u", "box:"+pw)
		Expect(ev.count("acs.auth_insecure")).To(Equal(1))
	})
})
