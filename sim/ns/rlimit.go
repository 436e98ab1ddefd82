package ns

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// RaiseFileLimit raises this process's open-file limit (soft and hard) to
// at least want, capped by fs.nr_open, and logs the change. Every namespace
// is a held descriptor and every simulated device has a few sockets, so
// 10,000 boxes need more descriptors than a distribution's default hard
// limit (often 20,000 or 65,536). This is the process's own rlimit, not a
// host setting; root may raise its hard limit.
func RaiseFileLimit(log *slog.Logger, want uint64) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("get RLIMIT_NOFILE: %w", err)
	}
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		if max, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && want > max {
			want = max
		}
	}
	if lim.Cur >= want {
		return nil
	}
	old := lim
	lim.Cur = want
	if lim.Max < want {
		lim.Max = want
	}
	err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	if errors.Is(err, unix.EPERM) && old.Max < want {
		// no CAP_SYS_RESOURCE (a container): take what the hard limit allows
		lim = unix.Rlimit{Cur: old.Max, Max: old.Max}
		if err = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err == nil {
			log.Warn("process.rlimit", "resource", "nofile", "from", old.Cur, "to", lim.Cur, "wanted", want,
				"why", "the hard limit cannot be raised here (no CAP_SYS_RESOURCE); a run this size may run out of descriptors")
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE from %d/%d to %d/%d: %w", old.Cur, old.Max, lim.Cur, lim.Max, err)
	}
	log.Info("process.rlimit", "resource", "nofile", "from", old.Cur, "to", lim.Cur, "hard_from", old.Max, "hard_to", lim.Max,
		"why", "a namespace and a few sockets a box")
	return nil
}

// FileLimit is this process's soft RLIMIT_NOFILE.
func FileLimit() (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("get RLIMIT_NOFILE: %w", err)
	}
	return lim.Cur, nil
}
