package ns

import (
	"log/slog"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRaiseFileLimit(t *testing.T) {
	needRoot(t)
	var before unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &before); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &before) })
	want := before.Max + 1000
	if err := RaiseFileLimit(slog.New(slog.DiscardHandler), want); err != nil {
		t.Fatal(err)
	}
	var after unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &after); err != nil {
		t.Fatal(err)
	}
	if after.Max < want && after.Cur == before.Max {
		t.Skipf("hard limit %d cannot be raised here (no CAP_SYS_RESOURCE); soft limit raised to it", before.Max)
	}
	if after.Cur < want || after.Max < want {
		t.Errorf("RLIMIT_NOFILE %d/%d after asking for %d", after.Cur, after.Max, want)
	}
	// asking for less never lowers it
	if err := RaiseFileLimit(slog.New(slog.DiscardHandler), 10); err != nil {
		t.Fatal(err)
	}
	var again unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &again)
	if again != after {
		t.Errorf("RaiseFileLimit(10) changed the limit from %v to %v", after, again)
	}
}
