package stunserver

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/nat/discover"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/ns/nstest"
	"github.com/boxlab/boxlab/sim/scenario"
)

// node makes a namespace with lo up.
func node(t testing.TB) *ns.NS { return nstest.Loopback(t) }

func env(n *ns.NS, log *bytes.Buffer, addrs ...netip.Addr) *devices.Env {
	e := &devices.Env{Node: "stun", NS: n, Addrs: addrs, Clock: clock.New(1),
		Log: slog.New(slog.NewTextHandler(log, nil))}
	if len(addrs) > 0 {
		e.Addr = addrs[0]
	}
	return e
}

func TestRoleServesProbe(t *testing.T) {
	n := node(t)
	var log bytes.Buffer
	role := Roles()[0]
	d, err := role.New(role.Options())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- d.Run(ctx, env(n, &log, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")))
	}()
	time.Sleep(50 * time.Millisecond)
	r, err := discover.Probe(ctx, discover.NSDialer(n, netip.MustParseAddr("127.0.0.1")),
		netip.MustParseAddrPort("127.0.0.1:3478"), discover.Options{RTO: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Other != netip.MustParseAddrPort("127.0.0.2:3479") || r.Mapping != discover.EndpointIndependent ||
		r.Filtering != discover.EndpointIndependent || r.NATDetected {
		t.Errorf("probe through the role:\n%s", r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v; want nil when ctx ends", err)
	}
	for _, ev := range []string{"stun.serve", "change_ip=true", "stun.stats", "rfc5389="} {
		if !strings.Contains(log.String(), ev) {
			t.Errorf("journal lacks %q:\n%s", ev, log.String())
		}
	}
}

func TestRoleNeedsTwoAddresses(t *testing.T) {
	n := node(t)
	var log bytes.Buffer
	d, _ := Roles()[0].New(&Options{Port: 3478, AltPort: 3479})
	err := d.Run(context.Background(), env(n, &log, netip.MustParseAddr("127.0.0.1")))
	if err == nil || !strings.Contains(err.Error(), "needs a server with addresses: 2") {
		t.Errorf("Run with one address = %v", err)
	}
}

func TestOptionsCheck(t *testing.T) {
	s := &scenario.Scenario{}
	s.Topology.Servers = []scenario.Server{{Name: "stun", Role: Name, Addresses: 1}, {Name: "echo", Role: "udp-echo", Addresses: 1}}
	errs := (&Options{Port: 3478, AltPort: 3478}).Check(s)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Field+": "+e.Msg)
	}
	all := strings.Join(msgs, "\n")
	if len(errs) != 2 || !strings.Contains(all, "alt_port: want a port other than port 3478") || !strings.Contains(all, `server "stun"`) {
		t.Errorf("Check = %s", all)
	}
	s.Topology.Servers[0].Addresses = 2
	if errs := (&Options{Port: 3478, AltPort: 3479}).Check(s); len(errs) != 0 {
		t.Errorf("Check of a good scenario = %v", errs)
	}
}
