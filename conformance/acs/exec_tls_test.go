package acs_test

import (
	"fmt"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/stb"
	"github.com/boxlab/boxlab/sim/topology"
)

// tlsSUTOptions are boxlab's own acs options when it is the HTTPS server
// under test: CWMP over TLS on 7548, its own CA.
const tlsSUTOptions = "{tls: true, http_port: 7548, period: 3s, max_period: 6s}"

// tlsUnderTest is the HTTPS server's command line: BOXLAB_ACS_TLS_UNDER_TEST
// (run by sh -c in the acs namespace) or boxlab's own acs role standalone.
func tlsUnderTest() ([]string, bool) {
	return lab.UnderTest("BOXLAB_ACS_TLS_UNDER_TEST", func() []string {
		return []string{lab.BoxlabBinary(), "device", "acs", "--options", tlsSUTOptions}
	})
}

var _ = Describe("exec ACS under test over HTTPS (TR-069 §3.4)", Ordered, func() {
	var (
		topo *topology.Topology
		sut  *lab.Started
		ca   string
	)
	BeforeAll(func() {
		command, vendor := tlsUnderTest()
		topo = lab.Build(sutTopology)
		GinkgoWriter.Printf("HTTPS ACS under test (%s): %q\n", map[bool]string{true: "BOXLAB_ACS_TLS_UNDER_TEST", false: "boxlab device acs"}[vendor], command)
		sut = lab.StartProgram(topo, "acs", command, 1)
		ca = filepath.Join(sut.Env.OutDir, acs.CAFileName("acs"))
		Eventually(ca, 10*time.Second, 100*time.Millisecond).Should(BeAnExistingFile(),
			"the server under test writes its CA certificate to acs-ca.pem in its working directory")
	})
	ReportAfterEach(func(r SpecReport) {
		if r.Failed() {
			lab.PrintTail(filepath.Join(sut.Env.OutDir, "acs.stdout"), 15)
		}
	})
	box := func(node string, edit func(o *stb.KeepaliveOptions)) *lab.Started {
		o := stb.DefaultKeepaliveOptions()
		o.ACS, o.ACSPort, o.ACSScheme, o.CAFile = "acs", 7548, "https", ca
		edit(o)
		return lab.StartDevice(topo, node, &stb.KeepaliveBox{Options: *o}, 1)
	}

	It("a CPE trusting acs-ca.pem boots at https://<acs>:7548/, checks the certificate against the address, and keeps alive", func() {
		b := box("v0-stb0", func(*stb.KeepaliveOptions) {})
		Eventually(func() int { return b.Events.Count("stb.booted", nil) }, 20*time.Second, 100*time.Millisecond).Should(BeNumerically(">=", 1),
			"no boot session over HTTPS: %v", b.Events.All("stb.error", nil))
		Eventually(func() int { return b.Events.Count("stb.mapped", nil) }, 10*time.Second, 100*time.Millisecond).Should(BeNumerically(">=", 1))
		Expect(b.Events.Count("stb.tls_refused", nil)).To(BeZero())
	})

	It("a CPE with another CA refuses the server's certificate, every attempt, and never boots", func() {
		b := box("v1-stb0", func(o *stb.KeepaliveOptions) { o.CAFile, o.TLSForeignCA = "", true })
		Eventually(func() int { return b.Events.Count("stb.tls_refused", nil) }, 10*time.Second, 100*time.Millisecond).Should(BeNumerically(">=", 2))
		Expect(b.Events.Count("stb.booted", nil)).To(BeZero(), fmt.Sprintf("refusals: %v", b.Events.All("stb.tls_refused", nil)))
	})
})
