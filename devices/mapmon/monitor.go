package mapmon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
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

	prev *net.UDPConn // the last round's probe socket; only Run's goroutine touches it

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
	judged     uint64        // the last round judged
	sent       time.Duration // when the last probe went out
	node       string
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
	defer func() {
		if m.prev != nil {
			m.prev.Close()
		}
	}()
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

// Probes go out in batches of probeBatch with probePause between them, and
// once more at half the timeout to those that have not answered. A burst of
// thousands of datagrams from one socket overflows the kernel's per-CPU
// backlog (net.core.netdev_max_backlog, 1,000 by default, global: not ours
// to raise) as they are forwarded through the simulated core: the probes
// and answers it drops were counted as failed mappings.
const (
	probeBatch = 100
	probePause = time.Millisecond // real time
)

// round probes every reported mapping once and judges the answers.
func (m *Monitor) round(ctx context.Context, env *devices.Env, seq uint64) error {
	// Each round probes from a new port: a new flow needs the mapping
	// itself, where one long-lived probe flow would keep passing on the
	// NAT's connection state after the mapping expired or was deleted. The
	// socket stays open until the next round's, so an answer that comes
	// after the verdict is seen (mapmon.late_answer) rather than lost.
	pc, err := env.NS.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return fmt.Errorf("mapmon: %w", err)
	}
	if err := ns.ForceReadBuffer(pc, 8<<20); err != nil {
		pc.Close()
		return fmt.Errorf("mapmon: %w", err)
	}
	if m.prev != nil {
		m.prev.Close()
	}
	m.prev = pc
	go m.pongs(env, pc, seq)
	timeout := time.Duration(m.Options.Timeout)
	dctx, cancel := context.WithDeadline(ctx, env.Clock.Deadline(timeout))
	defer cancel()
	var dials sync.WaitGroup
	m.mu.Lock()
	var udp, tcp []*watched
	for _, d := range m.devs {
		d.probed, d.sent = seq, env.Clock.Now()
		if d.probe == ProbeTCP {
			tcp = append(tcp, d)
		} else {
			udp = append(udp, d)
		}
	}
	m.mu.Unlock()
	for i, d := range tcp {
		if i > 0 && i%probeBatch == 0 {
			time.Sleep(probePause)
		}
		m.mu.Lock()
		ext := d.ext
		m.mu.Unlock()
		dials.Add(1)
		go func() {
			defer dials.Done()
			if c, err := env.NS.DialContext(dctx, "tcp4", ext.String()); err == nil {
				c.Close()
				m.mu.Lock()
				if d.ext == ext {
					d.answered = seq
				}
				m.mu.Unlock()
			}
		}()
	}
	m.ping(pc, udp, seq)
	err = env.Clock.Sleep(ctx, timeout/2)
	if err == nil {
		m.drain(env, pc, seq)
		var again []*watched
		m.mu.Lock()
		for _, d := range udp {
			if d.answered != seq && d.probed == seq {
				again = append(again, d)
			}
		}
		m.mu.Unlock()
		m.ping(pc, again, seq)
		err = env.Clock.Sleep(ctx, timeout-timeout/2)
	}
	cancel()
	dials.Wait()
	if err != nil {
		return err
	}
	m.drain(env, pc, seq)
	m.judge(env, seq)
	return nil
}

// drain reads the answers already queued on the probe socket before a
// verdict: on a loaded host the reader goroutine may not have run since
// they arrived, and an answer that came in time but sat unread in the
// socket buffer used to count as a failed mapping.
func (m *Monitor) drain(env *devices.Env, pc *net.UDPConn, seq uint64) {
	buf := make([]byte, 64)
	pc.SetReadDeadline(time.Now().Add(2 * time.Millisecond))
	defer pc.SetReadDeadline(time.Time{})
	for {
		n, from, err := pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		m.answer(env, buf[:n], from, seq)
	}
}

// ping sends round seq's probe to each of ds, in paced batches.
func (m *Monitor) ping(pc *net.UDPConn, ds []*watched, seq uint64) {
	msg := Ping(seq)
	for i := 0; i < len(ds); i += probeBatch {
		if i > 0 {
			time.Sleep(probePause)
		}
		m.mu.Lock()
		for _, d := range ds[i:min(i+probeBatch, len(ds))] {
			pc.WriteToUDPAddrPort(msg, d.ext)
		}
		m.mu.Unlock()
	}
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
		d.judged = seq
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
			d = &watched{failedAt: -1, node: r.Node}
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

// pongs reads the answers to round seq's probes until the socket closes
// (the next round's start).
func (m *Monitor) pongs(env *devices.Env, c *net.UDPConn, round uint64) {
	buf := make([]byte, 64)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue // drain's deadline, cleared again
		}
		if err != nil {
			return
		}
		m.answer(env, buf[:n], from, round)
	}
}

// answer records a PONG of round; one that comes after the round was
// judged is logged (mapmon.late_answer, after: since the probe).
func (m *Monitor) answer(env *devices.Env, b []byte, from netip.AddrPort, round uint64) {
	seq, ok := ParsePong(b)
	if !ok || seq != round {
		return
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	m.mu.Lock()
	defer m.mu.Unlock()
	if d := m.byExt[from]; d != nil && d.probe == ProbeUDP {
		if d.judged == seq && d.answered != seq {
			env.Log.Info("mapmon.late_answer", "device", d.node, "after", env.Clock.Now()-d.sent)
		}
		d.answered = max(d.answered, seq)
	}
}
