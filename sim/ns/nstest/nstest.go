// Package nstest gives unit tests a throwaway network namespace.
package nstest

import (
	"os"
	"testing"

	"github.com/boxlab/boxlab/sim/ns"
)

// Loopback makes an unnamed namespace with lo up (so 127.0.0.0/8 is all
// local), closed when the test ends; without root the test is skipped.
func Loopback(t testing.TB) *ns.NS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	n, err := ns.Create("", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	h, err := n.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	return n
}
