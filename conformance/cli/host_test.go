package cli_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// holder is what keeps a network namespace reachable: a process, thread
// or descriptor (pid > 0, cmd its command line) or a name under /run/netns.
type holder struct {
	path string
	pid  int
	cmd  string
}

func (h holder) String() string {
	if h.pid == 0 {
		return h.path
	}
	return h.path + " (" + h.cmd + ")"
}

// netnsSet is every network namespace reachable on the host, keyed
// "net:[inode]", plus every name under /run/netns, keyed by its path, each
// with what holds it. A namespace is reachable when a process or thread is in
// it (/proc/*/ns/net, /proc/*/task/*/ns/net), a descriptor holds it
// (/proc/*/fd/*) or a name is bind-mounted on it (/run/netns/*).
func netnsSet() map[string][]holder {
	set := map[string][]holder{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, _ := strconv.Atoi(filepath.Base(p))
		for key, paths := range heldBy(pid) {
			for _, path := range paths {
				set[key] = append(set[key], holder{path: path, pid: pid, cmd: cmdline(pid)})
			}
		}
	}
	names, _ := filepath.Glob("/run/netns/*")
	for _, n := range names {
		set[n] = append(set[n], holder{path: n})
		var st syscall.Stat_t
		if syscall.Stat(n, &st) == nil {
			key := fmt.Sprintf("net:[%d]", st.Ino)
			set[key] = append(set[key], holder{path: n})
		}
	}
	return set
}

// heldBy maps each network namespace process pid is in, or holds a
// descriptor of, to the /proc paths that show it.
func heldBy(pid int) map[string][]string {
	held := map[string][]string{}
	p := "/proc/" + strconv.Itoa(pid)
	paths := []string{p + "/ns/net"}
	tasks, _ := filepath.Glob(p + "/task/*/ns/net")
	fds, _ := filepath.Glob(p + "/fd/*")
	for _, path := range append(append(paths, tasks...), fds...) {
		if l, err := os.Readlink(path); err == nil && strings.HasPrefix(l, "net:[") {
			held[l] = append(held[l], path)
		}
	}
	return held
}

// cmdline is the command line of process pid.
func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// descendants are pid and every live process below it.
func descendants(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
		parent, _ := strconv.Atoi(f[1])
		children[parent] = append(children[parent], child)
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree
}

// ours is the set of netnsSet keys a run's processes held while it was alive.
type ours map[string]bool

// leftovers lists, from a netnsSet taken now, what a run still has on the
// host: any namespace in seen (held by the run while it was alive) that is
// still reachable by anything, any namespace that appeared since before and
// is held by a process running binary or matching one of markers, and any
// name bl-<id>-*.
func leftovers(before, now map[string][]holder, seen ours, id string, markers ...string) []string {
	var left []string
	for key, hs := range now {
		mine := seen[key] || strings.HasPrefix(key, "/run/netns/bl-"+id+"-")
		if _, old := before[key]; !old {
			for _, h := range hs {
				mine = mine || h.pid != 0 && runsAny(h.cmd, append(markers, binary))
			}
		}
		if mine {
			left = append(left, fmt.Sprintf("%s held by %v", key, hs))
		}
	}
	sort.Strings(left)
	return left
}

func runsAny(cmd string, words []string) bool {
	for _, w := range words {
		if strings.Contains(cmd, w) {
			return true
		}
	}
	return false
}

var linkLine = regexp.MustCompile(`^(\d+): ([^:]+):`)

// rootLinks is the root namespace's links as "index: name" lines from ip -o link.
func rootLinks() []string {
	GinkgoHelper()
	out, err := exec.Command("ip", "-o", "link").Output()
	Expect(err).NotTo(HaveOccurred(), "ip -o link")
	var links []string
	for _, l := range strings.Split(string(out), "\n") {
		if m := linkLine.FindStringSubmatch(l); m != nil {
			links = append(links, m[1]+": "+m[2])
		}
	}
	return links
}

// pids returns the processes whose command line matches pattern (pgrep -f).
func pids(pattern string) []int {
	GinkgoHelper()
	out, err := exec.Command("pgrep", "-f", pattern).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return nil // no match
	}
	Expect(err).NotTo(HaveOccurred(), "pgrep -f %s", pattern)
	var ps []int
	for _, f := range strings.Fields(string(out)) {
		p, err := strconv.Atoi(f)
		Expect(err).NotTo(HaveOccurred())
		ps = append(ps, p)
	}
	return ps
}

// sleepMarker returns a sleep argument no other process has, such as
// "30.482913", and the pgrep pattern of "sleep <it>". Processes still
// matching when the spec ends are killed by pid, pass or fail.
func sleepMarker(seconds int) (arg, pattern string) {
	GinkgoHelper()
	arg = fmt.Sprintf("%d.%06d", seconds, rand.IntN(1_000_000))
	pattern = "sleep " + regexp.QuoteMeta(arg)
	Expect(pids(pattern)).To(BeEmpty(), "marker %s already in use", arg)
	DeferCleanup(func() {
		for _, p := range pids(pattern) {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	return arg, pattern
}

// runID returns a random 6-hex-digit run id.
func runID() string { return fmt.Sprintf("%06x", rand.IntN(1<<24)) }

// namedOf lists /run/netns names of run id.
func namedOf(id string) []string {
	names, _ := filepath.Glob("/run/netns/bl-" + id + "-*")
	return names
}

// fixture writes testdata/<name> to a temporary file with every "MARKER"
// replaced by marker and returns its path.
func fixture(name, marker string) string {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	Expect(err).NotTo(HaveOccurred())
	p := filepath.Join(GinkgoT().TempDir(), name)
	Expect(os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "MARKER", marker)), 0o644)).To(Succeed())
	return p
}
