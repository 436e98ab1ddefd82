package igd_test

import (
	"path/filepath"
	"runtime"

	. "github.com/onsi/ginkgo/v2"

	"github.com/boxlab/boxlab/conformance/lab"
)

// The faults of seed 003's "Scenarios and assertions" beyond a WAN change
// and a reboot (remap_test.go): each scenario runs end to end through the
// runner and every assertion must pass, every fault apply.
var _ = DescribeTable("seed 003 remap faults",
	func(file string) {
		_, here, _, _ := runtime.Caller(0)
		lab.RunScenario(filepath.Join(filepath.Dir(here), "..", "..", "scenarios", file))
	},
	Entry("conflicts: two devices of one home want the same external port; one is moved (718), both forward", "remap-conflict.yaml"),
	Entry("double NAT: an IGD behind a CGNAT reports a non-public address; its mappings are never valid, the public homes' are", "remap-double-nat.yaml"),
	Entry("UPnP switched off then on: 'no UPnP' reported while off, every mapping valid again within check period + remap time", "remap-upnp-off.yaml"),
	Entry("lease expiry: a device that never renews; the IGD expires the lease, the monitor detects it within a check period", "remap-lease.yaml"),
)
