package ns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Prefix starts every namespace name boxlab gives: bl-<run>-<node>.
const Prefix = "bl-"

// LockDir holds one lock file per live run; a run whose lock is free is dead.
const LockDir = "/run/boxlab"

// RunLock marks a run as alive while held; Reap leaves its namespaces alone.
type RunLock struct {
	f   *os.File
	run string
}

// LockRun takes the lock of run id.
func LockRun(run string) (*RunLock, error) {
	if err := os.MkdirAll(LockDir, 0o755); err != nil {
		return nil, fmt.Errorf("make %s: %w", LockDir, err)
	}
	f, err := os.OpenFile(filepath.Join(LockDir, run+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("run %s is already locked: %w", run, err)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return &RunLock{f: f, run: run}, nil
}

// Release frees the lock and removes the lock file.
func (l *RunLock) Release() error {
	os.Remove(l.f.Name())
	return l.f.Close()
}

// RunAlive reports whether some process holds the lock of run.
func RunAlive(run string) bool {
	f, err := os.OpenFile(filepath.Join(LockDir, run+".lock"), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return true
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false
}

// Named lists the names of boxlab namespaces under NamedDir with their run ids.
func Named() (map[string][]string, error) {
	ents, err := os.ReadDir(NamedDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	runs := map[string][]string{}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, Prefix) {
			continue
		}
		run, _, ok := strings.Cut(strings.TrimPrefix(name, Prefix), "-")
		if !ok {
			continue
		}
		runs[run] = append(runs[run], name)
	}
	return runs, nil
}

// Reap removes the named namespaces of every run that is not alive and
// returns how many it removed. Live runs are untouched.
func Reap() (int, error) {
	if err := reapProcMounts(); err != nil {
		return 0, err
	}
	runs, err := Named()
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for run, names := range runs {
		if RunAlive(run) {
			continue
		}
		for _, name := range names {
			if err := Unname(name); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
		os.Remove(filepath.Join(LockDir, run+".lock"))
	}
	// Lock files of killed runs that had no named namespaces.
	locks, _ := filepath.Glob(filepath.Join(LockDir, "*.lock"))
	for _, l := range locks {
		if run := strings.TrimSuffix(filepath.Base(l), ".lock"); !RunAlive(run) {
			os.Remove(l)
		}
	}
	return n, errors.Join(errs...)
}

// Find returns the path of the named namespace of node in a live or kept run.
// run may be empty when only one run has that node.
func Find(run, node string) (string, error) {
	runs, err := Named()
	if err != nil {
		return "", err
	}
	var hits []string
	for r, names := range runs {
		if run != "" && r != run {
			continue
		}
		for _, name := range names {
			if name == Prefix+r+"-"+node {
				hits = append(hits, name)
			}
		}
	}
	switch len(hits) {
	case 0:
		return "", fmt.Errorf("no namespace for node %q (is a run with --keep going?)", node)
	case 1:
		return filepath.Join(NamedDir, hits[0]), nil
	default:
		return "", fmt.Errorf("node %q exists in several runs (%s): pass --run", node, strings.Join(hits, ", "))
	}
}
