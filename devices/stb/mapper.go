package stb

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/mapmon"
	"github.com/boxlab/boxlab/sim/scenario"
)

// The mapping part of a device (seed 003, issue 6 "Device side"): role
// upnp-mapper maps a port through its gateway (UPnP IGD, NAT-PMP or PCP,
// files mapper*.go), serves the monitor's probes on it (UDP PING/PONG, or
// accepting TCP connections with probe: tcp), reports the external endpoint
// to a mapmon server every report period and maps again at once when the
// monitor answers REMAP. It renews at half the granted lifetime, and at the
// end of the run deletes its mapping (Finish). The protocol unit
// (mapSession) is usable by any device role.

// MapperOptions configure upnp-mapper.
type MapperOptions struct {
	Monitor     string            `yaml:"monitor"`      // required: name of a mapmon server
	MonitorPort int               `yaml:"monitor_port"` // its report port; default 7070
	Port        int               `yaml:"port"`         // the port mapped and served; default 7000
	Probe       string            `yaml:"probe"`        // udp (default: map UDP, answer PINGs) or tcp (map TCP, accept connections)
	Lease       scenario.Duration `yaml:"lease"`        // mapping lease; renewed at half; default 120s
	Report      scenario.Duration `yaml:"report"`       // report period; default 5s
	Protocol    string            `yaml:"protocol"`     // upnp (default), natpmp, pcp, or auto: UPnP, then PCP, then NAT-PMP
	Renew       bool              `yaml:"renew"`        // renew the lease at half its life; default true (false: a device that forgets to, so the lease runs out)
}

// Check validates the options.
func (o *MapperOptions) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	if !s.HasServer(o.Monitor) {
		errs = append(errs, scenario.FieldError{Field: "monitor", Msg: fmt.Sprintf("want the name of a mapmon server; got %q", o.Monitor)})
	}
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, scenario.FieldError{Field: "port", Msg: fmt.Sprintf("want a port 1..65535; got %d", o.Port)})
	}
	switch o.Protocol {
	case "upnp", "natpmp", "pcp", "auto":
	default:
		errs = append(errs, scenario.FieldError{Field: "protocol", Msg: fmt.Sprintf("want one of upnp, natpmp, pcp, auto; got %q", o.Protocol)})
	}
	if o.Probe != mapmon.ProbeUDP && o.Probe != mapmon.ProbeTCP {
		errs = append(errs, scenario.FieldError{Field: "probe", Msg: fmt.Sprintf("want udp or tcp; got %q", o.Probe)})
	}
	if o.Lease < 0 || o.Report <= 0 {
		errs = append(errs, scenario.FieldError{Field: "report", Msg: "want a positive report period and a lease >= 0"})
	}
	return errs
}

// MapperRoles is upnp-mapper.
func MapperRoles() []devices.Role {
	return []devices.Role{{Name: "upnp-mapper", Doc: "LAN device: maps a UDP or TCP port through the gateway (UPnP, NAT-PMP, PCP or auto), serves probes on it, reports it to mapmon, remaps on instruction",
		Options: func() any {
			return &MapperOptions{Protocol: "upnp", Probe: mapmon.ProbeUDP, MonitorPort: 7070, Port: 7000, Lease: scenario.Duration(120 * time.Second), Report: scenario.Duration(5 * time.Second), Renew: true}
		},
		New: func(o any) (devices.Device, error) { return &Mapper{Options: *o.(*MapperOptions)}, nil }}}
}

// Mapper is a running upnp-mapper.
type Mapper struct {
	Options MapperOptions

	mu       sync.Mutex
	ses      *mapSession    // set once Run has started
	ext      netip.AddrPort // the mapping held, for Finish
	finished bool           // Finish ran: no more mapping or reports
}

// Run maps, serves and reports until ctx ends.
func (m *Mapper) Run(ctx context.Context, env *devices.Env) error {
	mon, ok := env.Server(m.Options.Monitor)
	if !ok {
		return fmt.Errorf("upnp-mapper: no server %q", m.Options.Monitor)
	}
	// The control channel (and, for probe: udp, the probed port).
	c, err := env.NS.ListenUDP("udp4", &net.UDPAddr{Port: m.Options.Port})
	if err != nil {
		return fmt.Errorf("upnp-mapper: %w", err)
	}
	defer c.Close()
	if m.Options.Probe == mapmon.ProbeTCP {
		ln, err := env.NS.Listen("tcp4", fmt.Sprintf(":%d", m.Options.Port))
		if err != nil {
			return fmt.Errorf("upnp-mapper: %w", err)
		}
		defer ln.Close()
		go acceptProbes(ln)
	}
	remap := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if pong, ok := mapmon.Pong(buf[:n]); ok {
				c.WriteToUDPAddrPort(pong, from)
				continue
			}
			if string(buf[:n]) == mapmon.ReplyRemap {
				env.Log.Info("igd.client.instructed")
				select {
				case remap <- struct{}{}:
				default:
				}
			}
		}
	}()
	ms, err := newMapSession(ctx, env, m.Options.Protocol, m.Options.Probe, uint16(m.Options.Port))
	if err != nil {
		return fmt.Errorf("upnp-mapper: %w", err)
	}
	m.mu.Lock()
	m.ses = ms
	m.mu.Unlock()
	internal := netip.AddrPortFrom(env.Addr, uint16(m.Options.Port))
	lease := time.Duration(m.Options.Lease)
	var ext netip.AddrPort
	var life, renewAt time.Duration
	report := env.Clock.NewTicker(time.Duration(m.Options.Report))
	defer report.Stop()
	for {
		now := env.Clock.Now()
		m.mu.Lock()
		finished := m.finished
		m.mu.Unlock()
		if !finished && (!ext.IsValid() || (m.Options.Renew && life > 0 && now >= renewAt)) {
			ext, life = ms.mapOnce(ctx, internal, lease)
			renewAt = now + life/2
			m.mu.Lock()
			if m.finished { // Finish came during the exchange: give this one back too
				m.mu.Unlock()
				if ext.IsValid() {
					ms.unmap(ctx, env.Log, internal, ext)
				}
				ext = netip.AddrPort{}
				continue
			}
			m.ext = ext
			m.mu.Unlock()
		}
		if ext.IsValid() && !finished {
			r := mapmon.Report{Node: env.Node, External: ext, Probe: m.Options.Probe}
			c.WriteToUDPAddrPort([]byte(r.String()), netip.AddrPortFrom(mon, uint16(m.Options.MonitorPort)))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-report.C:
		case <-remap:
			ext = netip.AddrPort{}
			ms.forget() // the gateway may have moved or rebooted: discover again
		case h := <-ms.heard:
			if ms.announced(h) {
				renewAt = 0 // renew at once (RFC 6887 §14.1.3)
			}
		}
	}
}

// Finish deletes the mapping the device holds (devices.Finisher): a device
// that leaves gives its port back, and stops mapping and reporting.
func (m *Mapper) Finish(ctx context.Context, env *devices.Env) error {
	m.mu.Lock()
	ms, ext := m.ses, m.ext
	m.finished, m.ext = true, netip.AddrPort{}
	m.mu.Unlock()
	if ms == nil || !ext.IsValid() {
		return nil
	}
	ms.unmap(ctx, env.Log, netip.AddrPortFrom(env.Addr, uint16(m.Options.Port)), ext)
	return nil
}

// acceptProbes accepts the monitor's TCP probes and closes them: the
// completed handshake is the answer.
func acceptProbes(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}
