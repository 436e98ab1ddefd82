package igd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/nat/pcp"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/scenario"
)

// The remap loop of seed 003, minimal: a LAN device (upnp-mapper) maps a
// UDP port through the IGD, answers probes on it and reports its external
// endpoint to a monitor server (mapmon) every report interval; the monitor
// probes each reported endpoint every check interval and, when a probe
// fails, answers the device's next report with REMAP; the device maps
// again at once. Both ends speak one-line text datagrams:
//
//	device -> monitor  "MAP <node> <ip:port>"     (from the mapped port)
//	monitor -> device  "OK" | "REMAP"
//	monitor -> mapping "PING <seq>", answered "PONG <seq>"

// MapperOptions configure upnp-mapper.
type MapperOptions struct {
	Monitor     string            `yaml:"monitor"`      // required: name of a mapmon server
	MonitorPort int               `yaml:"monitor_port"` // its report port; default 7070
	Port        int               `yaml:"port"`         // the UDP port mapped and served; default 7000
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
	if o.Lease < 0 || o.Report <= 0 {
		errs = append(errs, scenario.FieldError{Field: "report", Msg: "want a positive report period and a lease >= 0"})
	}
	return errs
}

// MonitorOptions configure mapmon.
type MonitorOptions struct {
	Port    int               `yaml:"port"`    // report port; default 7070
	Period  scenario.Duration `yaml:"check"`   // probe period; default 5s
	Timeout scenario.Duration `yaml:"timeout"` // a probe unanswered this long failed; default 1s
}

// Check validates the options.
func (o *MonitorOptions) Check(*scenario.Scenario) []scenario.FieldError {
	if o.Port < 1 || o.Port > 65535 || o.Period <= 0 || o.Timeout <= 0 || o.Timeout >= o.Period {
		return []scenario.FieldError{{Field: "", Msg: "want a port 1..65535 and 0 < timeout < check"}}
	}
	return nil
}

// RemapRoles are upnp-mapper and mapmon.
func RemapRoles() []devices.Role {
	return []devices.Role{
		{Name: "upnp-mapper", Doc: "LAN device: maps a UDP port through the gateway (UPnP, NAT-PMP, PCP or auto), serves probes on it, reports it to mapmon, remaps on instruction",
			Options: func() any {
				return &MapperOptions{Protocol: "upnp", MonitorPort: 7070, Port: 7000, Lease: scenario.Duration(120 * time.Second), Report: scenario.Duration(5 * time.Second), Renew: true}
			},
			New: func(o any) (devices.Device, error) { return &Mapper{Options: *o.(*MapperOptions)}, nil }},
		{Name: "mapmon", Doc: "server: probes every reported mapping, instructs a remap on failure, measures recovery",
			Options: func() any {
				return &MonitorOptions{Port: 7070, Period: scenario.Duration(5 * time.Second), Timeout: scenario.Duration(time.Second)}
			},
			New: func(o any) (devices.Device, error) { return &Monitor{Options: *o.(*MonitorOptions)}, nil }},
	}
}

// Mapper is a running upnp-mapper.
type Mapper struct {
	Options MapperOptions
}

// Run maps, serves and reports until ctx ends.
func (m *Mapper) Run(ctx context.Context, env *devices.Env) error {
	mon, ok := env.Server(m.Options.Monitor)
	if !ok {
		return fmt.Errorf("upnp-mapper: no server %q", m.Options.Monitor)
	}
	c, err := env.NS.ListenUDP("udp4", &net.UDPAddr{Port: m.Options.Port})
	if err != nil {
		return fmt.Errorf("upnp-mapper: %w", err)
	}
	defer c.Close()
	remap := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			switch {
			case strings.HasPrefix(msg, "PING "):
				c.WriteToUDPAddrPort([]byte("PONG "+msg[5:]), from)
			case msg == "REMAP":
				env.Log.Info("igd.client.instructed")
				select {
				case remap <- struct{}{}:
				default:
				}
			}
		}
	}()
	ms := &mapSession{m: m, env: env, upnp: NewClient(env.NS)}
	if m.Options.Protocol != "upnp" {
		ms.pmp = &PMPClient{NS: env.NS, Client: env.Addr, Timeout: 2 * time.Second, Now: env.Clock.Now}
		for i := range ms.pmp.Nonce {
			ms.pmp.Nonce[i] = byte(env.Rand.Uint32())
		}
		ms.heard = make(chan heard, 1)
		if err := ms.listenAnnouncements(ctx); err != nil {
			return err
		}
	}
	internal := netip.AddrPortFrom(env.Addr, uint16(m.Options.Port))
	lease := time.Duration(m.Options.Lease)
	var ext netip.AddrPort
	var life, renewAt time.Duration
	report := env.Clock.NewTicker(time.Duration(m.Options.Report))
	defer report.Stop()
	for {
		now := env.Clock.Now()
		if !ext.IsValid() || (m.Options.Renew && life > 0 && now >= renewAt) {
			ext, life = ms.mapOnce(ctx, internal, lease)
			renewAt = now + life/2
		}
		if ext.IsValid() {
			c.WriteToUDPAddrPort([]byte(fmt.Sprintf("MAP %s %s", env.Node, ext)), netip.AddrPortFrom(mon, uint16(m.Options.MonitorPort)))
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

// mapSession is the protocol unit of upnp-mapper: it maps with UPnP,
// NAT-PMP or PCP, or with auto the first of them the gateway speaks.
type mapSession struct {
	m     *Mapper
	env   *devices.Env
	upnp  *Client
	pmp   *PMPClient
	using string // the protocol that last worked; "" = choose again
	heard chan heard
}

// heard is an announcement and who sent it.
type heard struct {
	Announcement
	from netip.Addr
}

// announced handles an announcement from the listener: one from our
// gateway in the protocol we map with asks for a renewal.
func (ms *mapSession) announced(h heard) bool {
	gw := ms.pmp.Server
	if ms.using == "" || h.PCP != (ms.using == "pcp") || ms.using == "upnp" || (gw.IsValid() && h.from != gw) {
		return false
	}
	if ms.pmp.Heard(h.Announcement) {
		ms.env.Log.Info("igd.client.epoch_reset", "protocol", ms.using, "via", "announcement")
	}
	ms.env.Log.Info("igd.client.announcement", "protocol", ms.using, "epoch", float64(h.Epoch))
	return true
}

func (ms *mapSession) forget() {
	ms.using = ""
	ms.upnp.Control = ""
	if ms.pmp != nil {
		ms.pmp.Server = netip.Addr{}
	}
}

// order is the protocols to try: the one in use, else the configured one,
// or for auto UPnP, then PCP, then NAT-PMP.
func (ms *mapSession) order() []string {
	if ms.using != "" {
		return []string{ms.using}
	}
	if ms.m.Options.Protocol == "auto" {
		return []string{"upnp", "pcp", "natpmp"}
	}
	return []string{ms.m.Options.Protocol}
}

// mapOnce maps internal and returns the external endpoint and the lifetime
// granted (0 = permanent), or an invalid endpoint on failure.
func (ms *mapSession) mapOnce(ctx context.Context, internal netip.AddrPort, lease time.Duration) (netip.AddrPort, time.Duration) {
	env := ms.env
	start := time.Now()
	order := ms.order()
	for _, proto := range order {
		ext, life, err := ms.mapWith(ctx, proto, internal, lease)
		var f *Fault
		var re *ResultError
		switch {
		case err == nil:
			ms.using = proto
			moved := 0.0 // 1: the gateway granted another port than the one asked for (718 walked, or PCP/NAT-PMP chose)
			if ext.Port() != internal.Port() {
				moved = 1
			}
			env.Log.Info("igd.client.mapped", "external", ext.String(), "protocol", proto, "lifetime", life, "took", time.Since(start),
				"requested", float64(internal.Port()), "external_port", float64(ext.Port()), "moved", moved)
			return ext, life
		case errors.As(err, &f):
			env.Log.Info("igd.client.map_failed", "protocol", proto, "code", float64(f.Code))
			return netip.AddrPort{}, 0
		case errors.As(err, &re):
			env.Log.Info("igd.client.map_failed", "protocol", proto, "code", float64(re.Code))
			return netip.AddrPort{}, 0
		case errors.Is(err, errAbsent):
			continue // logged by mapWith; try the next protocol
		default:
			env.Log.Info("igd.client.map_failed", "protocol", proto, "err", err.Error())
			ms.forget()
			return netip.AddrPort{}, 0
		}
	}
	ms.using = ""
	if len(order) > 1 || ms.m.Options.Protocol != "upnp" {
		env.Log.Info("igd.client.no_mapping_protocol", "tried", strings.Join(order, ","))
	}
	return netip.AddrPort{}, 0
}

// errAbsent: the gateway does not speak the protocol (or nothing answered).
var errAbsent = errors.New("protocol absent")

func (ms *mapSession) mapWith(ctx context.Context, proto string, internal netip.AddrPort, lease time.Duration) (netip.AddrPort, time.Duration, error) {
	env, port := ms.env, uint16(ms.m.Options.Port)
	if proto == "upnp" {
		if ms.upnp.Control == "" {
			if err := ms.upnp.Discover(ctx, 2*time.Second); err != nil {
				env.Log.Info("igd.client.no_upnp", "err", err.Error())
				return netip.AddrPort{}, 0, errAbsent
			}
		}
		ext, err := ms.upnp.Map(ctx, "udp", internal, port, lease)
		return ext, lease, err
	}
	c := ms.pmp
	c.PCP = proto == "pcp"
	if !c.Server.IsValid() {
		gw, err := DefaultGateway(env.NS)
		if err != nil {
			return netip.AddrPort{}, 0, err
		}
		c.Server = gw
	}
	ext, life, lost, err := c.Map(ctx, "udp", internal, port, lease)
	if lost {
		env.Log.Info("igd.client.epoch_reset", "protocol", proto)
	}
	if errors.Is(err, ErrNoServer) {
		env.Log.Info("igd.client.no_"+proto, "err", err.Error())
		return ext, life, errAbsent
	}
	return ext, life, err
}

// listenAnnouncements hears the gateway's NAT-PMP address announcements
// and PCP ANNOUNCEs on port 5350 (224.0.0.1, which every host joins) and
// passes them to the mapping loop (announced).
func (ms *mapSession) listenAnnouncements(ctx context.Context) error {
	c, err := ms.env.NS.ListenUDP("udp4", &net.UDPAddr{Port: pcp.ClientPort})
	if err != nil {
		return fmt.Errorf("upnp-mapper: announcements: %w", err)
	}
	go func() { <-ctx.Done(); c.Close() }()
	go func() {
		buf := make([]byte, pcp.MaxMessage)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if a, ok := ParseAnnouncement(buf[:n]); ok {
				select {
				case ms.heard <- heard{a, from.Addr().Unmap()}:
				default: // one pending is enough
				}
			}
		}
	}()
	return nil
}

// Monitor is a running mapmon.
type Monitor struct {
	Options MonitorOptions

	mu    sync.Mutex
	devs  map[string]*watched
	byExt map[netip.AddrPort]*watched // who answers from where: one lookup per pong
}

type watched struct {
	ext        netip.AddrPort
	failedAt   time.Duration // scenario time of the first failed probe; -1 = valid
	instructed bool          // REMAP sent for this failure
	probed     uint64        // the round whose PING went to ext; 0 = none yet
	pong       uint64
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
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		seq++
		// Each round probes from a new port: a new flow needs the mapping
		// itself, where one long-lived probe flow would keep passing on the
		// NAT's connection state after the mapping expired or was deleted.
		pc, err := env.NS.ListenUDP("udp4", &net.UDPAddr{})
		if err != nil {
			return fmt.Errorf("mapmon: %w", err)
		}
		if err := ns.ForceReadBuffer(pc, 8<<20); err != nil {
			pc.Close()
			return fmt.Errorf("mapmon: %w", err)
		}
		go m.pongs(pc)
		m.mu.Lock()
		for _, d := range m.devs {
			d.probed = seq
			pc.WriteToUDPAddrPort(fmt.Appendf(nil, "PING %d", seq), d.ext)
		}
		m.mu.Unlock()
		err = env.Clock.Sleep(ctx, time.Duration(m.Options.Timeout))
		pc.Close()
		if err != nil {
			return nil
		}
		now := env.Clock.Now()
		m.mu.Lock()
		for node, d := range m.devs {
			if d.probed != seq {
				continue // reported, or moved, after this round's probes went out: judged next round
			}
			ok := d.pong == seq
			switch {
			case ok && d.failedAt >= 0:
				env.Log.Info("mapmon.remapped", "device", node, "recovery", now-d.failedAt)
				d.failedAt, d.instructed = -1, false
			case !ok && d.failedAt < 0:
				env.Log.Info("mapmon.failure_detected", "device", node, "external", d.ext.String())
				d.failedAt = now
			}
			pub := 0.0 // 1: the reported address is public; 0: private or shared (a gateway behind a CGNAT reports its 100.64/10 WAN address)
			if Public(d.ext.Addr()) {
				pub = 1
			}
			if ok {
				env.Log.Info("mapmon.valid", "device", node, "public", pub)
			} else {
				env.Log.Info("mapmon.invalid", "device", node, "public", pub)
			}
		}
		m.mu.Unlock()
	}
}

func (m *Monitor) reports(env *devices.Env, c *net.UDPConn) {
	buf := make([]byte, 512)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		f := strings.Fields(string(buf[:n]))
		if len(f) != 3 || f[0] != "MAP" {
			continue
		}
		ext, err := netip.ParseAddrPort(f[2])
		if err != nil {
			continue
		}
		m.mu.Lock()
		d := m.devs[f[1]]
		if d == nil {
			d = &watched{failedAt: -1}
			m.devs[f[1]] = d
			env.Log.Info("mapmon.reported", "device", f[1], "external", ext.String())
		}
		if d.ext != ext {
			if m.byExt[d.ext] == d {
				delete(m.byExt, d.ext)
			}
			d.ext, d.probed = ext, 0
			m.byExt[ext] = d
		}
		reply := "OK"
		if d.failedAt >= 0 && !d.instructed { // once per failure
			reply, d.instructed = "REMAP", true
			env.Log.Info("mapmon.instruction", "device", f[1])
		}
		m.mu.Unlock()
		c.WriteToUDPAddrPort([]byte(reply), from)
	}
}

func (m *Monitor) pongs(c *net.UDPConn) {
	buf := make([]byte, 512)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var seq uint64
		if _, err := fmt.Sscanf(string(buf[:n]), "PONG %d", &seq); err != nil {
			continue
		}
		m.mu.Lock()
		if d := m.byExt[from]; d != nil {
			d.pong = seq
		}
		m.mu.Unlock()
	}
}

// shared is RFC 6598 shared address space, what carrier-grade NATs number
// their customers' WAN sides from.
var shared = netip.MustParsePrefix("100.64.0.0/10")

// Public reports whether a is a global unicast address outside private
// (RFC 1918) and shared (RFC 6598) space: an external endpoint the IGD
// reports on another address cannot be reached from the internet.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !shared.Contains(a)
}
