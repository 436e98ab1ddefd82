// Package natprobe is the role `nat-probe`: from a LAN node it discovers the
// behaviour of the NATs between it and an RFC 5780 server (a `stun-5780`
// server node) with nat/discover — mapping, filtering, port preservation,
// hairpinning and, if asked, mapping lifetime — writes the report to
// probe-<node>.json in the run's folder and records it as events, so that
// scenarios can assert on it and `boxlab nat probe` can print it. It probes
// once; with end_run it then ends the run.
package natprobe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/nat/discover"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Name is the role name.
const Name = "nat-probe"

// Roles is the nat-probe role.
func Roles() []devices.Role {
	return []devices.Role{{
		Name: Name, Doc: "discovers the NAT behaviour between this node and a stun-5780 server (RFC 5780)",
		Options: func() any { return &Options{Port: 3478} },
		New:     func(o any) (devices.Device, error) { return &Probe{Options: *o.(*Options)}, nil },
	}}
}

// Options configure a probe.
type Options struct {
	Server   string            `yaml:"server"`   // required: a server node running stun-5780
	Port     int               `yaml:"port"`     // its primary port; default 3478
	Lifetime scenario.Duration `yaml:"lifetime"` // upper bound of the mapping lifetime search; 0 = do not measure
	EndRun   bool              `yaml:"end_run"`  // end the scenario when the probe is done
}

// Check validates the options against the scenario.
func (o *Options) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	sv, found := s.Server(o.Server)
	if found && sv.Addresses < 2 {
		errs = append(errs, scenario.FieldError{Field: "server", Msg: fmt.Sprintf("server %q needs addresses: 2 for RFC 5780", o.Server)})
	}
	if o.Server == "" {
		errs = append(errs, scenario.FieldError{Msg: `missing "server"; want the name of a stun-5780 server`})
	} else if !found {
		errs = append(errs, scenario.FieldError{Field: "server", Msg: fmt.Sprintf("no server named %q", o.Server)})
	}
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, scenario.FieldError{Field: "port", Msg: fmt.Sprintf("want a port 1..65535; got %d", o.Port)})
	}
	if o.Lifetime < 0 {
		errs = append(errs, scenario.FieldError{Field: "lifetime", Msg: "want a duration >= 0"})
	}
	return errs
}

// Probe is a running nat-probe.
type Probe struct {
	Options Options
}

// ReportFile is where the report of node's probe is written in the run folder.
func ReportFile(node string) string { return "probe-" + node + ".json" }

// Run probes once, records the result and waits (or ends the run).
func (p *Probe) Run(ctx context.Context, env *devices.Env) error {
	addr, ok := env.Server(p.Options.Server)
	if !ok {
		return fmt.Errorf("nat-probe: no server %q", p.Options.Server)
	}
	start := env.Clock.Now()
	rep, err := discover.Probe(ctx, discover.NSDialer(env.NS, env.Addr), netip.AddrPortFrom(addr, uint16(p.Options.Port)),
		discover.Options{Clock: env.Clock, MaxLifetime: time.Duration(p.Options.Lifetime)})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		env.Log.Info("nat.probe_failed", "err", err.Error())
		return fmt.Errorf("nat-probe: %w", err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(env.OutDir, ReportFile(env.Node)), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("nat-probe: %w", err)
	}
	attrs := []any{"mapping", string(rep.Mapping), "filtering", string(rep.Filtering),
		"port_preservation", rep.PortPreservation, "hairpinning", rep.Hairpinning, "took", env.Clock.Now() - start}
	if rep.MappingLifetime > 0 {
		attrs = append(attrs, "lifetime", rep.MappingLifetime)
	}
	env.Log.Info("nat.probe", attrs...)
	for _, b := range []struct {
		on   bool
		name string
	}{{rep.Mapping == discover.EndpointIndependent, "nat.probe.eim"}, {rep.Filtering == discover.EndpointIndependent, "nat.probe.eif"},
		{rep.PortPreservation, "nat.probe.port_preserved"}, {rep.Hairpinning, "nat.probe.hairpin"}} {
		if b.on {
			env.Log.Info(b.name)
		}
	}
	if p.Options.EndRun {
		return devices.ErrEndRun
	}
	<-ctx.Done()
	return nil
}
