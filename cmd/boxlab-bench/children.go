package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of /proc/PID/stat CPU times (USER_HZ; 100 on every
// Linux architecture Go runs on).
const clockTick = 10 * time.Millisecond

// child is one direct child process of the bench as /proc shows it: an exec
// node's program (a server run out of process) or a namespace holder.
type child struct {
	pid     int
	command string        // argv joined, shortened
	cpu     time.Duration // user + system, its own and its waited-for children's
	rss     int64         // bytes
	files   int           // open descriptors
}

// children lists this process's direct children (every thread's, from
// /proc/self/task/*/children); a child that exits meanwhile is left out.
func children() []child {
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var out []child
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			if c, ok := readChild(pid); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

func readChild(pid int) (child, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return child{}, false
	}
	cpu, rss, ok := parseStat(string(stat))
	if !ok {
		return child{}, false
	}
	c := child{pid: pid, cpu: cpu, rss: rss * int64(os.Getpagesize())}
	if argv, err := os.ReadFile(dir + "/cmdline"); err == nil {
		c.command = shorten(strings.TrimSpace(strings.ReplaceAll(string(argv), "\x00", " ")), 60)
	}
	if ents, err := os.ReadDir(dir + "/fd"); err == nil {
		c.files = len(ents)
	}
	return c, true
}

// parseStat reads utime+stime+cutime+cstime and rss (pages) from a
// /proc/PID/stat line; the command name in parentheses may hold spaces.
func parseStat(s string) (cpu time.Duration, rssPages int64, ok bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 22 {
		return 0, 0, false
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} { // fields 14-17
		n, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks += n
	}
	rssPages, err := strconv.ParseInt(f[21], 10, 64) // field 24
	if err != nil {
		return 0, 0, false
	}
	return time.Duration(ticks) * clockTick, rssPages, true
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// childrenCPU is the CPU of every child so far: the live ones (from /proc)
// and those already waited for (RUSAGE_CHILDREN).
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	d := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	for _, c := range children() {
		d += c.cpu
	}
	return d
}
