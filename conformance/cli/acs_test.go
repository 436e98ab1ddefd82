package cli_test

import (
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("boxlab acs", func() {
	It("lists a running server's devices, queues a command that the device runs, and refuses a bad kind (seed 000 operator commands)", func() {
		id := runID()
		cleanAfter() // after the run below is killed
		start("run", "scenarios/keepalive.yaml", "--keep", "--run-id", id, "--speed", "4", "--out", GinkgoT().TempDir())

		By("the devices come online")
		Eventually(func() string {
			return boxlab("acs", "devices", "--run", id).stdout
		}, runLimit, "500ms").Should(MatchRegexp(`(?m)^lin0-stb0\s+true\s+true\s`))

		By("a get queued from the CLI is delivered through the NAT and done")
		q := boxlab("acs", "queue", "get", "--run", id, "--device", "lin0-stb0", "--param", "Device.DeviceInfo.SoftwareVersion")
		Expect(q.code).To(Equal(0), "stderr:\n%s", q.stderr)
		m := regexp.MustCompile(`(?m)^(c\d+)\s+lin0-stb0\s+get\s+queued`).FindStringSubmatch(q.stdout)
		Expect(m).NotTo(BeNil(), "queue said:\n%s", q.stdout)
		Eventually(func() string {
			return boxlab("acs", "commands", "--run", id).stdout
		}, runLimit, "500ms").Should(MatchRegexp(`(?m)^` + m[1] + `\s+lin0-stb0\s+get\s+done\s+\d+\s+\S+`))

		By("a kind the server does not know is refused with its reason")
		bad := boxlab("acs", "queue", "explode", "--run", id, "--device", "lin0-stb0")
		Expect(bad.code).To(Equal(2))
		Expect(bad.stderr).To(ContainSubstring("want reboot, get, set or download"))

		By("--json prints the API's own JSON")
		js := boxlab("acs", "devices", "--run", id, "--json")
		Expect(strings.TrimSpace(js.stdout)).To(HavePrefix("["))
		Expect(js.stdout).To(ContainSubstring(`"udp_connection_request_address"`))
	})

	It("reaches a server with tls: true and client_cert require over HTTPS with --cacert and --cert from the run's folder, and nothing less (TR-069 §3.4)", func() {
		id := runID()
		cleanAfter()
		out := GinkgoT().TempDir()
		start("run", "scenarios/keepalive-tls.yaml", "--keep", "--run-id", id, "--speed", "2", "--out", out)
		ca, cert, key := filepath.Join(out, "acs-ca.pem"), filepath.Join(out, "acs-client.pem"), filepath.Join(out, "acs-client-key.pem")

		By("with the run's CA and client certificate the devices are listed")
		Eventually(func() string {
			return boxlab("acs", "devices", "--run", id, "--port", "7548", "--cacert", ca, "--cert", cert, "--key", key).stdout
		}, runLimit, "500ms").Should(MatchRegexp(`(?m)^lin0-stb0\s+true\s+true\s`))

		By("plain HTTP to the TLS port, or TLS without a client certificate, gets nothing")
		plain := boxlab("acs", "devices", "--run", id, "--port", "7548")
		Expect(plain.code).NotTo(BeZero())
		Expect(plain.stderr).To(ContainSubstring("HTTP request to an HTTPS server"))
		noCert := boxlab("acs", "devices", "--run", id, "--port", "7548", "--cacert", ca)
		Expect(noCert.code).NotTo(BeZero())
		Expect(noCert.stderr).To(ContainSubstring("certificate required"))
		Expect(noCert.stdout).NotTo(ContainSubstring("lin0-stb0"))
	})
})
