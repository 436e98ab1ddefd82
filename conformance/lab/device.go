package lab

import (
	"context"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices"
	devexec "github.com/boxlab/boxlab/devices/exec"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/topology"
)

// Started is a device started by hand in a built topology.
type Started struct {
	Env    *devices.Env
	Events *Recorder // what the device logged
	done   chan error
}

// Done is closed with Run's result when the device returns.
func (s *Started) Done() <-chan error { return s.done }

// StartDevice runs dev in node's namespace of topo as the runner would
// (Env: the node's addresses, the topology's servers, a clock at speed,
// a seeded Rand, OutDir a spec temp folder), logging into a fresh Recorder.
// It is stopped when the spec (or the Ordered container) ends.
func StartDevice(topo *topology.Topology, node string, dev devices.Device, speed float64) *Started {
	GinkgoHelper()
	n := topo.Node(node)
	Expect(n).NotTo(BeNil(), "node %s", node)
	servers := map[string]netip.Addr{}
	for name, s := range topo.Plan.Servers {
		servers[name] = s.Addr.Addr()
	}
	addrs := []netip.Addr{n.Addr().Addr()}
	for _, a := range n.Extra {
		addrs = append(addrs, a.Addr())
	}
	rec := &Recorder{}
	h := fnv.New64a()
	h.Write([]byte(node))
	env := &devices.Env{
		Node: node, NS: n.NS, Addr: addrs[0], Addrs: addrs, Clock: clock.New(speed), Log: slog.New(rec),
		Rand: rand.New(rand.NewPCG(h.Sum64(), 1)), OutDir: GinkgoT().TempDir(),
		Server:  func(name string) (netip.Addr, bool) { a, ok := servers[name]; return a, ok },
		Servers: servers, Truth: devices.NewTruth(),
		Public: func() netip.Addr { return topo.PublicAddr(node) },
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Started{Env: env, Events: rec, done: make(chan error, 1)}
	go func() { s.done <- dev.Run(ctx, env) }()
	DeferCleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			Fail(node + " did not stop within 30 s")
		}
	})
	return s
}

// StartProgram runs argv as an `exec` device (devices/exec: its own PID
// namespace, the BOXLAB_* environment, stdout and stderr in
// <OutDir>/<node>.stdout/.stderr) in node's namespace of topo.
func StartProgram(topo *topology.Topology, node string, argv []string, speed float64) *Started {
	GinkgoHelper()
	opts := *devexec.Roles()[0].Options().(*devexec.Options) // the role's defaults (stop_grace)
	opts.Command = argv
	return StartDevice(topo, node, &devexec.Program{Options: opts}, speed)
}

// UnderTest is the command line of a program under test: [sh, -c, $envVar]
// when the variable is set (a vendor's command line, expanded by the shell in
// the node's namespace so it may use $BOXLAB_SERVER_ACS and the rest), else
// def() (boxlab's own role, e.g. [boxlab, device, stb, --options, ...]). The
// second result says which.
func UnderTest(envVar string, def func() []string) ([]string, bool) {
	if c := os.Getenv(envVar); c != "" {
		return []string{"sh", "-c", c}, true
	}
	return def(), false
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryOut  []byte
)

// BoxlabBinary builds the boxlab command once per test process into a
// temporary folder (removed by RemoveBoxlabBinary) and returns its path: the
// program `exec` nodes run as `boxlab device ROLE`.
func BoxlabBinary() string {
	GinkgoHelper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "boxlab-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "boxlab")
		cmd := exec.Command("go", "build", "-o", binaryPath, "github.com/boxlab/boxlab/cmd/boxlab")
		binaryOut, binaryErr = cmd.CombinedOutput()
	})
	Expect(binaryErr).NotTo(HaveOccurred(), "go build boxlab:\n%s", binaryOut)
	return binaryPath
}

// RemoveBoxlabBinary removes what BoxlabBinary built; a suite that uses
// BoxlabBinary calls it from AfterSuite.
func RemoveBoxlabBinary() {
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
}
