// Package devices is the device seam of boxlab: a simulated device is a Go
// value that runs as goroutines in the boxlab process and opens its sockets
// inside its own node's namespace through Env.NS. Each role lives in its own
// package under devices/ and is listed by name in a Registry; the scenario's
// `role:` picks it. Package exec is the role that runs a real program instead.
package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sort"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/ns"
)

// Env is what a running device gets from the engine.
type Env struct {
	Node   string       // node name, e.g. home3-stb0
	NS     *ns.NS       // the node's namespace: open sockets with NS.ListenPacket, NS.DialContext, NS.Socket
	Addr   netip.Addr   // the node's own address
	Addrs  []netip.Addr // every address of the node, Addr first (servers may have several)
	Clock  *clock.Clock // every timer of a device reads this clock
	Log    *slog.Logger // the event journal: Info(event, attrs...) records an event; float64 and duration attrs become metrics (ints are identifiers: log a count as float64)
	Rand   *rand.Rand   // seeded per node: runs repeat
	OutDir string       // where the device may write artefacts (logs, captures)

	// Server returns the address of a server node by scenario name.
	Server func(name string) (netip.Addr, bool)
	// Public returns how the internet sees this node now (its outermost NAT's WAN address).
	Public func() netip.Addr
	// Servers lists every server name and address, for roles that pass them on (exec).
	Servers map[string]netip.Addr
	// Truth is the run's ground-truth board, shared by every device of the
	// run: clients record what really happened, a server compares at Finish.
	Truth *Truth
	// PortMapper is the gateway's NAT, for a role that runs on a gateway
	// node (gateway_role: in a home group) and maps ports through it (igd);
	// nil elsewhere or when the NAT cannot map ports.
	PortMapper nat.PortMapper
	// LAN is the gateway's addresses on its LAN segments, for a gateway role.
	LAN []netip.Prefix
}

// Device is one running device. Run blocks until ctx ends or the device
// fails; a crash fault cancels ctx, a restart calls Run on a fresh Device.
type Device interface {
	Run(ctx context.Context, env *Env) error
}

// ErrEndRun, returned by a device's Run, ends the scenario before its
// duration: a probe or a test driver that has done its job. The engine then
// finishes and stops every device as at the normal end.
var ErrEndRun = errors.New("the device ended the run")

// Finisher is a Device that wants to wind down cleanly when simulated time
// reaches the scenario's end, before the engine stops every device: a viewer
// logs out, a server compares its results with Env.Truth. The engine calls
// Finish on every running device that implements it, while its Run is still
// running: first every non-server device (concurrently), then every server
// (concurrently), each bounded by ctx. Finish must be safe to call
// concurrently with Run; its error is recorded as a device.error event.
// Events Finish logs through env.Log are dated at the scenario's end (1 ms
// before it), so assertions over the whole run count them.
type Finisher interface {
	Finish(ctx context.Context, env *Env) error
}

// Role is a kind of device a scenario can place on a node.
type Role struct {
	Name    string
	Doc     string
	Options func() any                     // fresh options value with defaults (pointer to a struct); nil if none
	New     func(opts any) (Device, error) // opts is what Options returned, decoded from the scenario
}

// Registry maps role names to roles.
type Registry struct {
	roles map[string]Role
}

// NewRegistry collects roles; a duplicate name is a programming error.
func NewRegistry(lists ...[]Role) (*Registry, error) {
	r := &Registry{roles: map[string]Role{}}
	for _, l := range lists {
		for _, role := range l {
			if _, dup := r.roles[role.Name]; dup {
				return nil, fmt.Errorf("device role %q registered twice", role.Name)
			}
			r.roles[role.Name] = role
		}
	}
	return r, nil
}

// Role returns the role called name.
func (r *Registry) Role(name string) (Role, bool) {
	role, ok := r.roles[name]
	return role, ok
}

// Roles lists role names, sorted.
func (r *Registry) Roles() []string {
	out := make([]string, 0, len(r.roles))
	for n := range r.roles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// RoleOptions returns fresh options for a role (scenario.Catalog).
func (r *Registry) RoleOptions(name string) (any, bool) {
	role, ok := r.roles[name]
	if !ok {
		return nil, false
	}
	if role.Options == nil {
		return nil, true
	}
	return role.Options(), true
}
