package ns

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netnsFds counts this process's descriptors of network namespaces.
func netnsFds(t *testing.T) int {
	t.Helper()
	return len(heldInodes(t, os.Getpid()))
}

// heldInodes lists the namespace inodes pid holds by descriptor.
func heldInodes(t *testing.T, pid int) []string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(l, "net:") {
			out = append(out, l)
		}
	}
	return out
}

// inode is the namespace n as /proc shows it ("net:[4026...]"), read from
// inside it.
func inode(t *testing.T, n *NS) string {
	t.Helper()
	var l string
	if err := n.Do(func() (err error) {
		l, err = os.Readlink("/proc/thread-self/ns/net")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return l
}

func newHolder(t *testing.T) *Holder {
	t.Helper()
	h, err := NewHolder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestHolderKeepsNamespacesOutOfThisProcess(t *testing.T) {
	needRoot(t)
	h := newHolder(t)
	before := netnsFds(t)
	var all []*NS
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		n, err := h.Create("", func() error { return WriteSysctlHere("net/ipv4/ip_forward", "1") })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		all = append(all, n)
		if got := netnsFds(t); got != before {
			t.Fatalf("after Create this process holds %d namespace descriptors; want %d (the holder holds them)", got, before)
		}
		ino := inode(t, n)
		if seen[ino] {
			t.Fatalf("namespace %d is %s, like an earlier one", i, ino)
		}
		seen[ino] = true
		if v, err := n.ReadSysctl("net/ipv4/ip_forward"); err != nil || v != "1" {
			t.Errorf("ip_forward inside = %q, %v; want the setup's 1", v, err)
		}
	}
	if h.Held() != 3 {
		t.Errorf("Held() = %d; want 3", h.Held())
	}
	// Same port on the same loopback address in each: only possible if
	// every socket was made in its own namespace.
	for _, n := range all {
		h, err := n.Netlink()
		if err != nil {
			t.Fatal(err)
		}
		lo, err := h.LinkByName("lo")
		if err == nil {
			err = h.LinkSetUp(lo)
		}
		h.Close()
		if err != nil {
			t.Fatal(err)
		}
		c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7547})
		if err != nil {
			t.Fatalf("listen in %s: %v", inode(t, n), err)
		}
		defer c.Close()
	}
	// Fd gives a descriptor in this process that stays until Close.
	fd := all[0].Fd()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatalf("Fd() = %d: %v", fd, err)
	}
	if got := fmt.Sprintf("net:[%d]", st.Ino); got != inode(t, all[0]) {
		t.Errorf("Fd() is %s; want %s", got, inode(t, all[0]))
	}
	if all[0].Fd() != fd {
		t.Error("a second Fd() gave another descriptor")
	}
	all[0].Close()
	if err := unix.Fstat(fd, &st); err == nil {
		t.Error("the pinned descriptor is still open after Close")
	}
	if h.Held() != 2 {
		t.Errorf("Held() after a Close = %d; want 2", h.Held())
	}
}

func TestHolderSpillsIntoAnotherProcessWhenFull(t *testing.T) {
	needRoot(t)
	h := newHolder(t)
	h.procs[0].limit = 4
	var inos []string
	for i := 0; i < 10; i++ {
		n, err := h.Create("", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		h.mu.Lock()
		for _, p := range h.procs {
			p.limit = 4
		}
		h.mu.Unlock()
		inos = append(inos, inode(t, n))
	}
	if got := h.Processes(); got != 3 {
		t.Errorf("%d helper processes for 10 namespaces at 4 each; want 3", got)
	}
	if h.Held() != 10 {
		t.Errorf("Held() = %d; want 10", h.Held())
	}
}

func TestHolderCloseEndsHelpersAndFreesNamespaces(t *testing.T) {
	needRoot(t)
	h, err := NewHolder()
	if err != nil {
		t.Fatal(err)
	}
	n, err := h.Create("", nil)
	if err != nil {
		t.Fatal(err)
	}
	ino := inode(t, n)
	pid := holderPid(t, h.procs[0])
	if !contains(heldInodes(t, pid), ino) {
		t.Fatalf("helper %d does not hold %s", pid, ino)
	}
	h.Close()
	if err := unix.Kill(pid, 0); err == nil {
		t.Errorf("helper %d still runs after Close", pid)
	}
	if holders := whoHolds(ino); len(holders) > 0 {
		t.Errorf("%s still held by %v after the holder closed", ino, holders)
	}
}

// TestHolderDiesWithItsParent runs this test binary as a parent that holds
// namespaces in a holder, kills the parent with SIGKILL and checks that no
// process holds any of them afterwards.
func TestHolderDiesWithItsParent(t *testing.T) {
	needRoot(t)
	if os.Getenv("BOXLAB_NS_TEST_PARENT") == "1" {
		holderParent()
		return
	}
	cmd := exec.Command("/proc/self/exe", "-test.run=^TestHolderDiesWithItsParent$")
	cmd.Env = append(os.Environ(), "BOXLAB_NS_TEST_PARENT=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var helper int
	var inos []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "helper" {
			helper, _ = strconv.Atoi(f[1])
		} else if len(f) == 2 && f[0] == "ns" {
			inos = append(inos, f[1])
		} else if len(f) == 1 && f[0] == "ready" {
			break
		}
	}
	if helper == 0 || len(inos) != 5 {
		t.Fatalf("parent reported helper %d and %d namespaces; want a helper and 5", helper, len(inos))
	}
	for _, ino := range inos {
		if !contains(heldInodes(t, helper), ino) {
			t.Fatalf("helper %d does not hold %s", helper, ino)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		if unix.Kill(helper, 0) == nil && processAlive(helper) {
			left = append(left, fmt.Sprintf("helper %d alive", helper))
		}
		for _, ino := range inos {
			if h := whoHolds(ino); len(h) > 0 {
				left = append(left, fmt.Sprintf("%s held by %v", ino, h))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after SIGKILL of the parent: %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holderParent is the killed parent of TestHolderDiesWithItsParent.
func holderParent() {
	h, err := NewHolder()
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("helper", holderPidOf(h.procs[0]))
	for i := 0; i < 5; i++ {
		n, err := h.Create("", nil)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		var l string
		n.Do(func() (err error) { l, err = os.Readlink("/proc/thread-self/ns/net"); return err })
		fmt.Println("ns", l)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
	os.Exit(1)
}

func holderPid(t *testing.T, p *holderProc) int {
	t.Helper()
	pid := holderPidOf(p)
	if pid <= 0 {
		t.Fatal("no helper pid")
	}
	return pid
}

// holderPidOf reads the helper's pid from its pidfd.
func holderPidOf(p *holderProc) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", p.pidfd))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Pid:"); ok {
			pid, _ := strconv.Atoi(strings.TrimSpace(v))
			return pid
		}
	}
	return -1
}

// processAlive is false for a zombie or a missing process.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// whoHolds lists the processes (and threads) that hold namespace ino by a
// descriptor or by being in it.
func whoHolds(ino string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		tasks, _ := filepath.Glob(p + "/task/[0-9]*/ns/net")
		for _, ns := range tasks {
			if l, err := os.Readlink(ns); err == nil && l == ino {
				out = append(out, ns)
			}
		}
		fds, _ := filepath.Glob(p + "/fd/*")
		for _, fd := range fds {
			if l, err := os.Readlink(fd); err == nil && l == ino {
				out = append(out, fd)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
