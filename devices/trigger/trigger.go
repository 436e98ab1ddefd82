package trigger

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/camera"
	"github.com/boxlab/boxlab/devices/platform"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Roles is the trigger role.
func Roles() []devices.Role {
	return []devices.Role{
		{Name: "trigger", Doc: "seed 002 LAN trigger: registers with a platform, reports cameras, forges trigger packets (UDP or TCP SYN) from the platform's address",
			Options: func() any {
				return &Options{Port: 5080, User: "trigger", Password: "secret", Refresh: scenario.Duration(10 * time.Second)}
			},
			New: func(o any) (devices.Device, error) { return &Trigger{Options: *o.(*Options)}, nil }},
	}
}

// Camera is one camera of the trigger's home, by private address and type.
type Camera struct {
	Addr string `yaml:"addr"` // private IPv4 of the camera, e.g. 192.168.1.101
	Type string `yaml:"type"` // sip, rtsp or sdk (fixes the port: 5060, 554, 8000)
	Port int    `yaml:"port"` // overrides the type's port
}

// Options configure a trigger.
type Options struct {
	Platform string            `yaml:"platform"` // required: the platform server's name
	Port     int               `yaml:"port"`     // the platform's registrar port; default 5080
	User     string            `yaml:"user"`     // default trigger
	Password string            `yaml:"password"` // default secret
	Cameras  []Camera          `yaml:"cameras"`  // required
	Refresh  scenario.Duration `yaml:"refresh"`  // registration refresh period; default 10s
}

// Check validates the options against the scenario.
func (o *Options) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	if o.Platform == "" {
		errs = append(errs, scenario.FieldError{Msg: `missing "platform"; want the name of a platform server`})
	} else if s != nil && !s.HasServer(o.Platform) {
		errs = append(errs, scenario.FieldError{Field: "platform", Msg: fmt.Sprintf("no server named %q", o.Platform)})
	}
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, scenario.FieldError{Field: "port", Msg: fmt.Sprintf("want a port 1..65535; got %d", o.Port)})
	}
	if o.Refresh <= 0 {
		errs = append(errs, scenario.FieldError{Field: "refresh", Msg: "want a positive duration"})
	}
	if len(o.Cameras) == 0 {
		errs = append(errs, scenario.FieldError{Field: "cameras", Msg: "want at least one {addr, type}"})
	}
	if _, err := o.reported(); err != nil {
		errs = append(errs, scenario.FieldError{Field: "cameras", Msg: err.Error()})
	}
	return errs
}

func (o *Options) reported() ([]platform.Reported, error) {
	var out []platform.Reported
	for i, c := range o.Cameras {
		a, err := netip.ParseAddr(c.Addr)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("camera %d: addr %q; want an IPv4 address", i, c.Addr)
		}
		port := platform.DefaultPort(c.Type)
		if port == 0 {
			return nil, fmt.Errorf("camera %d: type %q; want sip, rtsp or sdk", i, c.Type)
		}
		if c.Port != 0 {
			if c.Port < 1 || c.Port > 65535 {
				return nil, fmt.Errorf("camera %d: port %d; want 1..65535", i, c.Port)
			}
			port = uint16(c.Port)
		}
		out = append(out, platform.Reported{Addr: netip.AddrPortFrom(a, port), Type: c.Type})
	}
	return out, nil
}

// Trigger is a running trigger.
type Trigger struct {
	Options Options
}

// Run registers, refreshes and forges on every indication until ctx ends.
func (t *Trigger) Run(ctx context.Context, env *devices.Env) error {
	addr, ok := env.Server(t.Options.Platform)
	if !ok {
		return fmt.Errorf("trigger: no server %q", t.Options.Platform)
	}
	cams, err := t.Options.reported()
	if err != nil {
		return err
	}
	srv := netip.AddrPortFrom(addr, uint16(t.Options.Port))
	c, err := env.NS.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return fmt.Errorf("trigger socket: %w", err)
	}
	defer c.Close()
	f, err := newForger(env)
	if err != nil {
		return err
	}
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	done := make(chan struct{})
	var registered atomic.Bool
	go func() {
		defer close(done)
		t.receive(ctx, env, c, f, addr, cams, &registered)
	}()
	reg := platform.Register{Trigger: env.Node, User: t.Options.User, Password: t.Options.Password, Cameras: cams}.Marshal()
	for {
		if _, err := c.WriteToUDPAddrPort(reg, srv); err != nil {
			env.Log.Info("trigger.send_error", "err", err.Error())
		}
		// Until the platform answers (it may not be up yet), retransmit
		// every second like a SIP REGISTER; then refresh every period.
		wait := time.Duration(t.Options.Refresh)
		if !registered.Load() {
			wait = min(wait, time.Second)
		}
		if env.Clock.Sleep(ctx, wait) != nil {
			c.Close()
			<-done
			return nil
		}
	}
}

func (t *Trigger) receive(ctx context.Context, env *devices.Env, c *net.UDPConn, f *forger, platformAddr netip.Addr, cams []platform.Reported, registered *atomic.Bool) {
	buf := make([]byte, 2048)
	for {
		n, from, ok := devices.ReadUDP(ctx, c, buf, env.Log, "trigger.recv_error")
		if !ok {
			return
		}
		if from.Addr().Unmap() != platformAddr {
			env.Log.Info("trigger.unexpected_source", "from", from.String())
			continue
		}
		b := buf[:n]
		if _, ok := platform.ParseOK(b); ok {
			if !registered.Swap(true) {
				env.Log.Info("trigger.registered", "cameras", len(cams))
				env.Log.Info("trigger.registered_" + devices.Group(env.Node))
			}
			continue
		}
		if len(b) > 0 && b[0] == 'D' {
			env.Log.Info("trigger.refused", "reason", string(b))
			env.Log.Info("trigger.refused_" + devices.Group(env.Node))
			continue
		}
		in, err := platform.ParseIndication(b)
		if err != nil {
			env.Log.Info("trigger.bad_indication", "err", err.Error())
			continue
		}
		if !known(cams, in.Camera) {
			env.Log.Info("trigger.unknown_camera", "camera", in.Camera.String())
			continue
		}
		src := in.ServerOr(platformAddr)
		if err := f.forge(in, src, env.Rand.Uint32()); err != nil {
			env.Log.Info("trigger.forge_error", "err", err.Error())
			continue
		}
		env.Log.Info("trigger.forged", "camera", in.Camera.String(), "source", src.String(), "command", in.Command.String())
		env.Log.Info("trigger.forged_" + devices.Group(env.Node))
	}
}

// known reports whether the indication names a camera this trigger reported:
// a trigger forges only towards its own cameras.
func known(cams []platform.Reported, a netip.AddrPort) bool {
	for _, c := range cams {
		if c.Addr == a {
			return true
		}
	}
	return false
}

// Seed002Roles are the camera, platform and trigger roles together, as the
// catalog registers them.
func Seed002Roles() []devices.Role {
	return append(append(camera.Roles(), platform.Roles()...), Roles()...)
}
