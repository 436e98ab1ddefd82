package ns

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// RaiseNeighbourLimits raises the host's global ARP/NDP table thresholds
// (gc_thresh1/2/3, shared by all namespaces) so that entries hosts fit. It
// only raises, never lowers, and logs every change. It must run on a thread
// in the root namespace (any unlocked goroutine is).
func RaiseNeighbourLimits(log *slog.Logger, entries int) error {
	want := []int{entries / 4, entries / 2, entries}
	for _, fam := range []string{"ipv4", "ipv6"} {
		for i, w := range want {
			key := fmt.Sprintf("net/%s/neigh/default/gc_thresh%d", fam, i+1)
			b, err := os.ReadFile("/proc/sys/" + key)
			if err != nil {
				if fam == "ipv6" && os.IsNotExist(err) {
					continue
				}
				return fmt.Errorf("read %s: %w", key, err)
			}
			cur, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || cur >= w {
				continue
			}
			if err := WriteSysctlHere(key, strconv.Itoa(w)); err != nil {
				return err
			}
			log.Info("host.sysctl", "key", strings.ReplaceAll(key, "/", "."), "from", cur, "to", w,
				"why", "the neighbour table is global across namespaces")
		}
	}
	return nil
}
