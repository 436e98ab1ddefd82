// Package cli_test is the end-to-end suite of the boxlab command as a user
// runs it: it builds the real binary, runs scenarios with it and judges only
// what a user sees — exit codes, messages, report files, pcaps, named
// namespaces and what is left on the host afterwards. It imports nothing from
// boxlab itself. Needs root; skipped otherwise.
package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

func TestCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "boxlab CLI (end to end)")
}

// Generous limits: they bound a hung binary, they are not measurements.
const (
	runLimit   = 3 * time.Minute  // one boxlab command to exit
	startLimit = time.Minute      // a run to reach run.start
	hostLimit  = 30 * time.Second // the kernel and init to release what a dead run held
)

var (
	moduleRoot, moduleErr = findModuleRoot()
	binary                string // the boxlab binary BeforeSuite builds
)

var _ = BeforeSuite(func() {
	if os.Geteuid() != 0 {
		Skip("boxlab run needs root to create network namespaces; run this suite as root")
	}
	Expect(moduleErr).NotTo(HaveOccurred(), "finding the module root with go env GOMOD")
	dir, err := os.MkdirTemp("", "boxlab-cli-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	binary = filepath.Join(dir, "boxlab")
	build := exec.Command("go", "build", "-o", binary, "github.com/boxlab/boxlab/cmd/boxlab")
	build.Dir = moduleRoot
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build boxlab:\n%s", out)
})

// findModuleRoot asks the go command where go.mod is; tree construction needs
// it (to glob fixtures), so it runs when the package initialises.
func findModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", os.ErrNotExist
	}
	return filepath.Dir(gomod), nil
}

// result is how one boxlab command ended.
type result struct {
	code           int
	stdout, stderr string
}

// start starts boxlab with args in the module root (so scenario paths are
// relative to it, as in the README). The process is killed when the spec
// ends if it is still running, pass or fail.
func start(args ...string) *gexec.Session {
	GinkgoHelper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = moduleRoot
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait(hostLimit) })
	return s
}

// boxlab runs boxlab with args to the end.
func boxlab(args ...string) result {
	GinkgoHelper()
	s := start(args...)
	Eventually(s, runLimit).Should(gexec.Exit(), "boxlab %s did not exit", strings.Join(args, " "))
	return result{code: s.ExitCode(), stdout: string(s.Out.Contents()), stderr: string(s.Err.Contents())}
}

// cleanAfter runs boxlab clean when the spec ends, pass or fail, so that no
// named namespace outlives it.
func cleanAfter() {
	DeferCleanup(func() {
		cmd := exec.Command(binary, "clean")
		out, err := cmd.CombinedOutput()
		GinkgoWriter.Printf("boxlab clean: %s (err %v)\n", out, err)
	})
}
