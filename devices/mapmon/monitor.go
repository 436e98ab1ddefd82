package mapmon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Options configure mapmon.
type Options struct {
	Port    int               `yaml:"port"`    // report port; default 7070
	Period  scenario.Duration `yaml:"check"`   // probe period; default 5s
	Timeout scenario.Duration `yaml:"timeout"` // a probe unanswered (not connected) this long failed; default 1s
}

// Check validates the options.
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	if o.Port < 1 || o.Port > 65535 || o.Period <= 0 || o.Timeout <= 0 || o.Timeout >= o.Period {
		return []scenario.FieldError{{Field: "", Msg: "want a port 1..65535 and 0 < timeout < check"}}
	}
	return nil
}

// Roles is the mapmon role.
func Roles() []devices.Role {
	return []devices.Role{{Name: "mapmon", Doc: "server: receives mapping reports, probes every mapping (UDP or TCP connect, as the device reports), instructs a remap on failure, measures recovery",
		Options: func() any {
			return &Options{Port: 7070, Period: scenario.Duration(5 * time.Second), Timeout: scenario.Duration(time.Second)}
		},
		New: func(o any) (devices.Device, error) { return &Monitor{Options: *o.(*Options)}, nil }}}
}

// Monitor is a running mapmon.
type Monitor struct {
	Options Options

	mu    sync.Mutex
	devs  map[string]*watched
	byExt map[netip.AddrPort]*watched // who answers from where: one lookup per pong
}

type watched struct {
	ext        netip.AddrPort
	probe      string        // ProbeUDP or ProbeTCP
	failedAt   time.Duration // scenario time of the first failed probe; -1 = valid
	instructed bool          // REMAP sent for this failure
	probed     uint64        // the round whose probe went to ext; 0 = none yet
	answered   uint64        // the last round whose probe succeeded
}

// Run receives reports and probes until ctx ends.
func (m *Monitor) Run(ctx context.Context, env *devices.Env) error {
	m.devs, m.byExt = map[string]*watched{}, map[netip.AddrPort]*watched{}
	rc, err := env.NS.ListenUDP("udp4", &net.UDPAddr{Port: m.Options.Port})
	if err != nil {
		return fmt.Errorf("mapmon: %w", err)
	}
	defer rc.Close()
	// Every device reports and answers its probe in the same instant: the
	// default 208 KiB buffers drop answers when thousands come at once.
	if err := ns.ForceReadBuffer(rc, 8<<20); err != nil {
		return fmt.Errorf("mapmon: %w", err)
	}
	go m.reports(env, rc)
	t := env.Clock.NewTicker(time.Duration(m.Options.Period))
	defer t.Stop()
	for seq := uint64(1); ; seq++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := m.round(ctx, env, seq); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// round probes every reported mapping once and judges the answers.
func (m *Monitor) round(ctx context.Context, env *devices.Env, seq uint64) error {
	// Each round probes from a new port: a new flow needs the mapping
	// itself, where one long-lived probe flow would keep passing on the
	// NAT's connection state after the mapping expired or was deleted.
	pc, err := env.NS.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return fmt.Errorf("mapmon: %w", err)
	}
	defer pc.Close()
	if err := ns.ForceReadBuffer(pc, 8<<20); err != nil {
		return fmt.Errorf("mapmon: %w", err)
	}
	go m.pongs(pc)
	timeout := time.Duration(m.Options.Timeout)
	dctx, cancel := context.WithDeadline(ctx, env.Clock.Deadline(timeout))
	defer cancel()
	var dials sync.WaitGroup
	m.mu.Lock()
	for _, d := range m.devs {
		d.probed = seq
		if d.probe == ProbeTCP {
			dials.Add(1)
			go func(d *watched, ext netip.AddrPort) {
				defer dials.Done()
				if c, err := env.NS.DialContext(dctx, "tcp4", ext.String()); err == nil {
					c.Close()
					m.mu.Lock()
					if d.ext == ext {
						d.answered = seq
					}
					m.mu.Unlock()
				}
			}(d, d.ext)
			continue
		}
		pc.WriteToUDPAddrPort(Ping(seq), d.ext)
	}
	m.mu.Unlock()
	err = env.Clock.Sleep(ctx, timeout)
	cancel()
	dials.Wait()
	if err != nil {
		return err
	}
	m.judge(env, seq)
	return nil
}

// judge logs the verdicts of round seq.
func (m *Monitor) judge(env *devices.Env, seq uint64) {
	now := env.Clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for node, d := range m.devs {
		if d.probed != seq {
			continue // reported, or moved, after this round's probes went out: judged next round
		}
		ok := d.answered == seq
		switch {
		case ok && d.failedAt >= 0:
			env.Log.Info("mapmon.remapped", "device", node, "recovery", now-d.failedAt)
			d.failedAt, d.instructed = -1, false
		case !ok && d.failedAt < 0:
			env.Log.Info("mapmon.failure_detected", "device", node, "external", d.ext.String(), "probe", d.probe)
			d.failedAt = now
		}
		pub := 0.0 // 1: the reported address is public; 0: private or shared (a gateway behind a CGNAT reports its 100.64/10 WAN address)
		if Public(d.ext.Addr()) {
			pub = 1
		}
		valid := 0.0
		if ok {
			valid = 1
			env.Log.Info("mapmon.valid", "device", node, "public", pub)
		} else {
			env.Log.Info("mapmon.invalid", "device", node, "public", pub)
		}
		env.Log.Info("mapmon.probe", "device", node, "valid", valid)
	}
}

func (m *Monitor) reports(env *devices.Env, c *net.UDPConn) {
	buf := make([]byte, maxReport+1)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		r, ok := ParseReport(buf[:n])
		if !ok {
			env.Log.Debug("mapmon.bad_report", "from", from.String())
			continue
		}
		m.mu.Lock()
		d := m.devs[r.Node]
		if d == nil {
			d = &watched{failedAt: -1}
			m.devs[r.Node] = d
			env.Log.Info("mapmon.reported", "device", r.Node, "external", r.External.String(), "probe", r.Probe)
		}
		if d.ext != r.External || d.probe != r.Probe {
			if m.byExt[d.ext] == d {
				delete(m.byExt, d.ext)
			}
			d.ext, d.probe, d.probed = r.External, r.Probe, 0
			m.byExt[r.External] = d
		}
		reply := ReplyOK
		if d.failedAt >= 0 && !d.instructed { // once per failure
			reply, d.instructed = ReplyRemap, true
			env.Log.Info("mapmon.instruction", "device", r.Node)
		}
		m.mu.Unlock()
		c.WriteToUDPAddrPort([]byte(reply), from)
	}
}

func (m *Monitor) pongs(c *net.UDPConn) {
	buf := make([]byte, 64)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		seq, ok := ParsePong(buf[:n])
		if !ok {
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		m.mu.Lock()
		if d := m.byExt[from]; d != nil && d.probe == ProbeUDP {
			d.answered = seq
		}
		m.mu.Unlock()
	}
}
