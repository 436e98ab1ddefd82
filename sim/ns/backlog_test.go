package ns

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestRaiseNetdevBacklogOnlyRaises(t *testing.T) {
	needRoot(t)
	read := func() int {
		b, err := os.ReadFile("/proc/sys/" + backlogKey)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	before := read()
	if err := RaiseNetdevBacklog(slog.New(slog.DiscardHandler), before-1); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != before {
		t.Errorf("asking for less changed the backlog from %d to %d", before, got)
	}
	// Raising is a host-wide change that stays (the runner makes it for
	// large topologies); the test raises by one and puts the old value back.
	t.Cleanup(func() { WriteSysctlHere(backlogKey, strconv.Itoa(before)) })
	if err := RaiseNetdevBacklog(slog.New(slog.DiscardHandler), before+1); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != before+1 {
		t.Errorf("backlog %d after asking for %d", got, before+1)
	}
}
