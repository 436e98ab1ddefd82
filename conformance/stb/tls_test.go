package stb_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/acs"
	devexec "github.com/boxlab/boxlab/devices/exec"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// tlsPort is the port of the HTTPS ACS URL (TR-069 §3.4; 7548 by convention).
const tlsPort = 7548

// tlsUnderTest is the STB's command line when its ACS serves HTTPS:
// BOXLAB_STB_TLS_UNDER_TEST (run by sh -c in its namespace) or boxlab's own
// stb role run standalone; either reads the CA to trust from $BOXLAB_ACS_CA.
func tlsUnderTest() ([]string, bool) {
	return lab.UnderTest("BOXLAB_STB_TLS_UNDER_TEST", func() []string {
		return []string{"sh", "-c", `exec "` + lab.BoxlabBinary() + `" device stb --options "{acs: acs, acs_port: 7548, acs_scheme: https, ca_file: $BOXLAB_ACS_CA}"`}
	})
}

// startTLSProgram runs the STB under test with BOXLAB_ACS_CA set to ca.
func startTLSProgram(topo *topology.Topology, argv []string, ca string) *lab.Started {
	GinkgoHelper()
	opts := *devexec.Roles()[0].Options().(*devexec.Options)
	opts.Command, opts.Env = argv, map[string]string{"BOXLAB_ACS_CA": ca}
	return lab.StartDevice(topo, dutNode, &devexec.Program{Options: opts}, 1)
}

var _ = Describe("exec STB under test over HTTPS (TR-069 §3.4)", Ordered, func() {
	var (
		topo    *topology.Topology
		server  *lab.Started
		ca      string // the ACS's CA, as the ACS wrote it
		command []string
	)
	ev := func(name string) []lab.Event {
		return server.Events.All(name, func(e lab.Event) bool { return e.Str("device") == dutNode })
	}
	BeforeAll(func() {
		command, _ = tlsUnderTest()
		topo = lab.Build(dutTopology)
		opts := acs.DefaultOptions()
		opts.Period, opts.MaxPeriod = scenario.Duration(period), scenario.Duration(maxPeriod)
		opts.TLS, opts.HTTPPort, opts.ClientCert = true, tlsPort, acs.ClientCertRequest
		server = lab.StartDevice(topo, "acs", &acs.Server{Options: *opts}, 1)
		ca = filepath.Join(server.Env.OutDir, acs.CAFileName("acs"))
		Eventually(ca, 5*time.Second, 50*time.Millisecond).Should(BeAnExistingFile())
		GinkgoWriter.Printf("STB under test over HTTPS: %q, BOXLAB_ACS_CA=%s\n", command, ca)
	})

	It("refuses an ACS whose certificate its CA did not sign: no Inform gets through, the handshakes fail", func() {
		foreign, err := acs.NewPKI("foreign", nil, nil, time.Now())
		Expect(err).NotTo(HaveOccurred())
		other := filepath.Join(GinkgoT().TempDir(), "foreign-ca.pem")
		Expect(os.WriteFile(other, foreign.CAPEM, 0o644)).To(Succeed())
		public := topo.PublicAddr(dutNode).String()
		fromDUT := func() int {
			return len(server.Events.All("acs.tls_error", func(e lab.Event) bool { return strings.Contains(e.Str("err"), public+":") }))
		}
		before := fromDUT()
		startTLSProgram(topo, command, other)
		Eventually(fromDUT, 20*time.Second, 100*time.Millisecond).Should(BeNumerically(">=", before+2), "the CPE should abort each handshake (and retry)")
		Expect(ev("acs.boot")).To(BeEmpty(), "an Inform got through a certificate the CPE must not trust")
	})

	It("boots over HTTPS trusting $BOXLAB_ACS_CA, checks the certificate against the ACS's address, and comes online", func() {
		startTLSProgram(topo, command, ca)
		Eventually(func() []lab.Event { return ev("acs.boot") }, 30*time.Second, 100*time.Millisecond).ShouldNot(BeEmpty(),
			"no Inform at https://$BOXLAB_SERVER_ACS:7548/")
		Eventually(func() []lab.Event { return ev("acs.online") }, 3*period, 100*time.Millisecond).ShouldNot(BeEmpty())
		resp, err := (&http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: topo.Node("acs").NS.DialContext}}).
			Get("http://" + lab.Addr(topo, "acs").String() + ":7548/api/devices")
		if err == nil {
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), "plain HTTP on the TLS port is not served")
		}
	})
})
