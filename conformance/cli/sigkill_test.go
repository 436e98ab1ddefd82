package cli_test

import (
	"os"
	"regexp"
	"strconv"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

// The host may be shared with other runs (benchmarks, other suites), so
// "nothing left" is judged on what this run held, not on the whole host
// being as before: every namespace the boxlab process and its children held
// while alive must be unreachable afterwards, from anywhere.
var _ = Describe("boxlab run killed with SIGKILL", func() {
	It("leaves no process, namespace, /run/netns name or root-namespace link behind", func() {
		killedRun()
	})
	It("leaves nothing behind either when helper processes hold the namespaces (--ns-holder always)", func() {
		killedRun("--ns-holder", "always")
	})
})

// killedRun starts the sigkill fixture with extra flags, kills boxlab with
// SIGKILL once its program runs and checks that nothing of the run is left.
func killedRun(extra ...string) {
	cleanAfter()
	marker, pattern := sleepMarker(1000)
	id := runID()
	// A killed run cannot remove its lock file; another run's reaping on
	// this shared host may have removed it first.
	DeferCleanup(func() { os.Remove("/run/boxlab/" + id + ".lock") })
	before, links := netnsSet(), rootLinks()

	s := start(append([]string{"run", fixture("sigkill.yaml", marker), "--out", GinkgoT().TempDir(), "--run-id", id}, extra...)...)
	Eventually(s.Err, startLimit).Should(gbytes.Say(`run\.start`))
	built := regexp.MustCompile(`build\.done namespaces=(\d+)`).FindSubmatch(s.Err.Contents())
	Expect(built).NotTo(BeNil(), "build.done line")
	namespaces, _ := strconv.Atoi(string(built[1]))

	By("while it runs: the program is up in a new namespace, and boxlab holds one per node")
	var program []int
	Eventually(func() []int { program = pids(pattern); return program }, startLimit).Should(HaveLen(1))
	tree := descendants(s.Command.Process.Pid)
	Expect(tree).To(ContainElement(program[0]), "the program is boxlab's descendant")
	held := ours{}
	for _, pid := range tree {
		for key := range heldBy(pid) {
			if _, old := before[key]; !old {
				held[key] = true
			}
		}
	}
	programNS, err := os.Readlink("/proc/" + strconv.Itoa(program[0]) + "/ns/net")
	Expect(err).NotTo(HaveOccurred())
	Expect(held).To(HaveKey(programNS))
	Expect(len(held)).To(BeNumerically(">=", namespaces), "namespaces held by the run: %v", held)
	if len(extra) > 0 {
		own := 0
		for key := range heldBy(s.Command.Process.Pid) {
			if _, old := before[key]; !old {
				own++
			}
		}
		Expect(own).To(BeNumerically("<", namespaces), "boxlab itself holds %d of %d namespaces; a helper should hold them", own, namespaces)
	}

	s.Signal(syscall.SIGKILL)
	Eventually(s, hostLimit).Should(gexec.Exit(128 + int(syscall.SIGKILL)))

	By("afterwards nothing of the run is left")
	Eventually(func() []int { return pids(pattern) }, hostLimit).Should(BeEmpty(), "program %s survived", marker)
	Eventually(func() []string { return leftovers(before, netnsSet(), held, id, marker) }, hostLimit).Should(BeEmpty())
	Eventually(rootLinks, hostLimit).Should(Equal(links))
	Expect(namedOf(id)).To(BeEmpty())
}
