package cli_test

import (
	"os/exec"
	"regexp"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("boxlab run --keep", func() {
	It("leaves bl-<run>-<node> namespaces that boxlab shell and ip netns exec enter, and boxlab clean removes", func() {
		id := runID()
		cleanAfter()
		DeferCleanup(func() { // in case boxlab clean did not
			for _, n := range namedOf(id) {
				exec.Command("ip", "netns", "delete", n[len("/run/netns/"):]).Run()
			}
		})
		out := GinkgoT().TempDir()
		r := boxlab("run", "scenarios/quickstart.yaml", "--keep", "--run-id", id, "--speed", "6", "--out", out)
		Expect(r.code).To(BeNumerically("<=", 1), "not a setup error; stderr:\n%s", r.stderr)
		rep := readReport(out)
		Expect(rep.RunID).To(Equal(id))

		By("the namespaces are named and kept")
		Expect("/run/netns/bl-" + id + "-core").To(BeAnExistingFile())
		Expect("/run/netns/bl-" + id + "-home0-gw").To(BeAnExistingFile())
		Expect(namedOf(id)).To(HaveLen(rep.Topology.Namespaces))

		By("boxlab shell runs a command in a device's namespace")
		sh := boxlab("shell", "home0-pinger0", "--run", id, "--", "cat", "/proc/net/dev")
		Expect(sh.code).To(Equal(0), "stderr:\n%s", sh.stderr)
		Expect(netDevNames(sh.stdout)).To(ContainElement("eth0"))
		Expect(netDevNames(sh.stdout)).NotTo(ContainElement("wan0"))

		By("ip netns exec enters the gateway's namespace")
		gw := exec.Command("ip", "netns", "exec", "bl-"+id+"-home0-gw", "true")
		gwOut, err := gw.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "ip netns exec: %s", gwOut)

		By("boxlab clean removes every name of the run")
		c := boxlab("clean")
		Expect(c.code).To(Equal(0), "stderr:\n%s", c.stderr)
		m := regexp.MustCompile(`removed (\d+) namespaces`).FindStringSubmatch(c.stdout)
		Expect(m).NotTo(BeNil(), "clean said: %s", c.stdout)
		Expect(strconv.Atoi(m[1])).To(BeNumerically(">=", rep.Topology.Namespaces))
		Eventually(func() []string { return namedOf(id) }, hostLimit).Should(BeEmpty())
	})
})
