package cli_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// netDevNames are the interface names in a copy of /proc/net/dev.
func netDevNames(text string) []string {
	var names []string
	for _, l := range strings.Split(text, "\n") {
		name, _, ok := strings.Cut(l, ":")
		if ok && !strings.Contains(name, "|") {
			names = append(names, strings.TrimSpace(name))
		}
	}
	return names
}

var _ = Describe("role exec", func() {
	It("runs the program in the device's namespace with BOXLAB_ADDR and BOXLAB_SERVER_<NAME>, writes <node>.stdout, and kills it at teardown", func() {
		cleanAfter()
		marker, pattern := sleepMarker(600) // outlives every wait below: only a kill ends it
		out := GinkgoT().TempDir()
		r := boxlab("run", fixture("exec-env.yaml", marker), "--out", out)
		Expect(r.code).To(Equal(0), "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)

		stdout, err := os.ReadFile(filepath.Join(out, "home0-box0.stdout"))
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("home0-box0.stdout:\n%s\n", stdout)

		By("/proc/net/dev is the device's: eth0, and no gateway, core or host links")
		names := netDevNames(string(stdout))
		Expect(names).To(ContainElement("eth0"))
		Expect(names).NotTo(ContainElements(ContainSubstring("wan0")))
		Expect(names).NotTo(ContainElements(ContainSubstring("lan0")))
		Expect(names).NotTo(ContainElements(ContainSubstring("srv0")))

		By("the environment: the device's LAN address and the echo server's address from pools.servers")
		m := regexp.MustCompile(`(?m)^addr=(\S*) server=(\S*)$`).FindStringSubmatch(string(stdout))
		Expect(m).NotTo(BeNil(), "no addr= line")
		Expect(m[1]).To(Equal("192.168.1.100"))
		server, err := netip.ParseAddr(m[2])
		Expect(err).NotTo(HaveOccurred(), "BOXLAB_SERVER_ECHO=%q", m[2])
		Expect(netip.MustParsePrefix("203.0.113.0/24").Contains(server)).To(BeTrue(), "server %s outside pools.servers", server)

		By("the program was started and nothing of it survives the run")
		Expect(events(out)).To(ContainElement(And(HaveKeyWithValue("event", "exec.start"), HaveKeyWithValue("node", "home0-box0"))))
		Eventually(func() []int { return pids(pattern) }, hostLimit).Should(BeEmpty(), "sleep %s still running", marker)
	})
})
