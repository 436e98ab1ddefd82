package igd

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A UPnP lease that runs out unrenewed is logged once, as
// igd.lease_expired with how late the sweep saw it; a mapping deleted
// before its lease ended, or a permanent one, is not.
func TestLeaseExpiredLogged(t *testing.T) {
	s, f := testServer(Options{Version: 1})
	var logs bytes.Buffer
	s.log = slog.New(slog.NewTextHandler(&logs, nil))
	s.cfg.Now = func() time.Duration { return f.now }
	add := func(port, lease string) {
		t.Helper()
		if _, code := call(s, me, "AddPortMapping", "NewRemoteHost", "", "NewExternalPort", port, "NewProtocol", "UDP",
			"NewInternalPort", port, "NewInternalClient", me.String(), "NewEnabled", "1",
			"NewPortMappingDescription", "t", "NewLeaseDuration", lease); code != 0 {
			t.Fatalf("AddPortMapping %s: %d", port, code)
		}
	}
	add("7000", "10")
	add("7001", "0")
	add("7002", "10")
	if _, code := call(s, me, "DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", "7002", "NewProtocol", "UDP"); code != 0 {
		t.Fatalf("DeletePortMapping: %d", code)
	}
	f.now = 9 * time.Second
	s.sweepLeases()
	if strings.Contains(logs.String(), "igd.lease_expired") {
		t.Fatalf("expiry logged before the lease ended:\n%s", logs.String())
	}
	f.now = 11500 * time.Millisecond
	s.sweepLeases()
	s.sweepLeases()
	if n := strings.Count(logs.String(), "igd.lease_expired"); n != 1 {
		t.Fatalf("igd.lease_expired logged %d times; want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "external_port=7000 late=1.5s") {
		t.Fatalf("want port 7000, 1.5s late:\n%s", logs.String())
	}
}
