package platform

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/camera"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Roles is the platform role.
func Roles() []devices.Role {
	return []devices.Role{
		{Name: "platform", Doc: "seed 002 platform: trigger registrar, camera resources, indication packets, keepalives, TCP handshake it did not start",
			Options: func() any { return DefaultOptions() },
			New:     func(o any) (devices.Device, error) { return &Server{Options: *o.(*Options)}, nil }},
	}
}

// Options configure the platform.
type Options struct {
	Port      int               `yaml:"port"`       // registrar UDP port; default 5080
	SIPPort   int               `yaml:"sip_port"`   // UDP port the cameras answer to (④ of UDP indications); default 5060
	TCPPort   int               `yaml:"tcp_port"`   // first of 1,000 TCP ports for SYN triggers (④); default 40000
	Users     map[string]string `yaml:"users"`      // trigger credentials; default {trigger: secret}
	Expires   scenario.Duration `yaml:"expires"`    // registration lifetime; default 30s
	Keepalive scenario.Duration `yaml:"keepalive"`  // period of keepalives to connected cameras; 0 = none; default 10s
	LostAfter int               `yaml:"lost_after"` // keepalives unanswered before a camera is lost; default 3
	Timeout   scenario.Duration `yaml:"timeout"`    // wait for the camera's answer per attempt; default 3s
	Retries   int               `yaml:"retries"`    // attempts after the first; default 2
	// ViaPort is the port written in the Via sent-by of the requests sent
	// to cameras; 0 = sip_port. Another port checks that cameras honour
	// rport (RFC 3581 §4): their answers must go to the packet's source port.
	ViaPort     int    `yaml:"via_port"`
	SDKUser     string `yaml:"sdk_user"`     // BXSDK/1 login for sdk cameras; default admin
	SDKPassword string `yaml:"sdk_password"` // default admin
}

// DefaultOptions are the platform's defaults.
func DefaultOptions() *Options {
	return &Options{Port: 5080, SIPPort: 5060, TCPPort: 40000, Users: map[string]string{"trigger": "secret"},
		Expires: scenario.Duration(30 * time.Second), Keepalive: scenario.Duration(10 * time.Second), LostAfter: 3,
		Timeout: scenario.Duration(3 * time.Second), Retries: 2, SDKUser: "admin", SDKPassword: "admin"}
}

// Check validates the options.
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	for _, p := range []struct {
		name string
		v    int
	}{{"port", o.Port}, {"sip_port", o.SIPPort}, {"via_port", max(o.ViaPort, 1)}} {
		if p.v < 1 || p.v > 65535 {
			errs = append(errs, scenario.FieldError{Field: p.name, Msg: fmt.Sprintf("want a port 1..65535; got %d", p.v)})
		}
	}
	if o.TCPPort < 1 || o.TCPPort > 65535-tcpPorts {
		errs = append(errs, scenario.FieldError{Field: "tcp_port", Msg: fmt.Sprintf("want a port 1..%d; got %d", 65535-tcpPorts, o.TCPPort)})
	}
	if len(o.SDKUser) > 120 || len(o.SDKPassword) > 120 {
		errs = append(errs, scenario.FieldError{Field: "sdk_user", Msg: "want a BXSDK user and password of at most 120 bytes each"})
	}
	if len(o.Users) == 0 {
		errs = append(errs, scenario.FieldError{Field: "users", Msg: "want at least one user: password"})
	}
	if o.Expires <= 0 || o.Timeout <= 0 {
		errs = append(errs, scenario.FieldError{Field: "expires", Msg: "want positive expires and timeout"})
	}
	if o.Keepalive < 0 || o.LostAfter < 1 || o.Retries < 0 {
		errs = append(errs, scenario.FieldError{Field: "keepalive", Msg: "want keepalive >= 0, lost_after >= 1, retries >= 0"})
	}
	return errs
}

// tcpPorts is how many platform ports SYN triggers cycle through: the port
// names the attempt a SYN-ACK answers.
const tcpPorts = 1000

// key names a camera resource: identical private IPs behind different
// triggers (different homes) stay distinct (seed 002 S5).
type key struct {
	trigger netip.AddrPort // the trigger's public (post-NAT) address
	camera  netip.Addr     // the camera's private IP
}

// resource is one camera the platform knows.
type resource struct {
	key
	idx       uint32 // the resource's number, the indication's request id
	id        string // Call-ID of its SIP dialogue
	node      string // trigger node, for the home group
	cam       Reported
	mu        sync.Mutex
	public    netip.AddrPort // the camera's public address, once connected
	sentAt    time.Time      // last indication
	connected chan struct{}  // closed on the camera's first answer; fresh for each reconnection
	lost      bool           // keepalives went unanswered: the next registration reconnects it
	lastSeen  time.Time
	cseq      int
}

// Server is a running platform.
type Server struct {
	Options Options

	env       *devices.Env
	reg, sip  *net.UDPConn
	mu        sync.Mutex
	triggers  map[string]netip.AddrPort // trigger id -> public address
	resources map[key]*resource
	byCallID  map[string]*resource
	tcp       *tcpSide
	n         int
	wg        sync.WaitGroup
}

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context, env *devices.Env) error {
	s.env = env
	s.triggers = map[string]netip.AddrPort{}
	s.resources = map[key]*resource{}
	s.byCallID = map[string]*resource{}
	var err error
	if s.reg, err = env.NS.ListenUDP("udp4", &net.UDPAddr{Port: s.Options.Port}); err != nil {
		return fmt.Errorf("platform registrar: %w", err)
	}
	defer s.reg.Close()
	if s.sip, err = env.NS.ListenUDP("udp4", &net.UDPAddr{Port: s.Options.SIPPort}); err != nil {
		return fmt.Errorf("platform sip: %w", err)
	}
	defer s.sip.Close()
	// A thousand homes register and answer at once: the default 208 KiB
	// buffers hold a few hundred datagrams.
	for _, c := range []*net.UDPConn{s.reg, s.sip} {
		if err := ns.ForceReadBuffer(c, 8<<20); err != nil {
			env.Log.Info("platform.rcvbuf_error", "err", err.Error())
		}
	}
	if s.tcp, err = newTCPSide(ctx, env, uint16(s.Options.TCPPort), time.Duration(s.Options.Keepalive), s.Options.LostAfter); err != nil {
		return fmt.Errorf("platform tcp: %w", err)
	}
	defer s.tcp.Close()
	stop := context.AfterFunc(ctx, func() { s.reg.Close(); s.sip.Close() })
	defer stop()
	s.wg.Go(func() { s.serveSIP(ctx) })
	s.wg.Go(func() { s.tcp.serve(ctx) })
	s.serveRegistrar(ctx)
	s.wg.Wait()
	return nil
}

func (s *Server) serveRegistrar(ctx context.Context) {
	buf := make([]byte, 2048)
	for {
		n, from, ok := devices.ReadUDP(ctx, s.reg, buf, s.env.Log, "platform.recv_error")
		if !ok {
			return
		}
		r, err := ParseRegister(buf[:n])
		if err != nil {
			s.env.Log.Info("platform.bad_register", "from", from.String(), "err", err.Error())
			continue
		}
		if pw, ok := s.Options.Users[r.User]; !ok || pw != r.Password {
			s.env.Log.Info("platform.register_refused", "from", from.String(), "user", r.User)
			s.reg.WriteToUDPAddrPort([]byte("DENIED credentials"), from)
			continue
		}
		s.reg.WriteToUDPAddrPort(OK(int(time.Duration(s.Options.Expires)/time.Second)), from)
		s.register(ctx, r, from)
	}
}

// register records the trigger's public address and its cameras (S2, S5)
// and starts connecting new ones.
func (s *Server) register(ctx context.Context, r Register, from netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.triggers[r.Trigger]; !ok || prev != from {
		s.env.Log.Info("platform.register", "trigger", r.Trigger, "public", from.String())
	} else {
		s.env.Log.Info("platform.refresh", "trigger", r.Trigger)
	}
	s.triggers[r.Trigger] = from
	for _, c := range r.Cameras {
		k := key{trigger: from, camera: c.Addr.Addr()}
		if res, ok := s.resources[k]; ok {
			res.mu.Lock()
			again := res.lost
			if again {
				res.lost, res.public, res.connected = false, netip.AddrPort{}, make(chan struct{})
			}
			res.mu.Unlock()
			if again {
				s.env.Log.Info("platform.reconnect", "trigger", from.String(), "camera", c.Addr.String())
				s.wg.Go(func() { s.drive(ctx, res) })
			}
			continue
		}
		for other := range s.resources {
			if other.camera == k.camera && other.trigger != k.trigger {
				s.env.Log.Info("platform.shared_private_ip", "camera", k.camera.String(), "trigger", from.String(), "other", other.trigger.String())
				break
			}
		}
		s.n++
		res := &resource{key: k, idx: uint32(s.n), id: fmt.Sprintf("cam%d-%s", s.n, s.env.Node), node: r.Trigger, cam: c, connected: make(chan struct{})}
		s.resources[k] = res
		s.byCallID[res.id] = res
		s.env.Log.Info("platform.resource", "trigger", from.String(), "camera", c.Addr.String(), "type", c.Type)
		s.env.Log.Info("platform.resource_"+group(r.Trigger), "camera", c.Addr.String())
		s.wg.Go(func() { s.drive(ctx, res) })
	}
}

// drive connects one camera (S6–S9), then keeps it (S10).
func (s *Server) drive(ctx context.Context, r *resource) {
	g := group(r.node)
	r.mu.Lock()
	connected := r.connected
	r.mu.Unlock()
	for attempt := 0; attempt <= s.Options.Retries; attempt++ {
		if err := s.indicate(r); err != nil {
			s.env.Log.Info("platform.send_error", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-connected:
			r.mu.Lock()
			latency := s.env.Clock.Sim(time.Since(r.sentAt))
			pub := r.public
			r.mu.Unlock()
			s.env.Log.Info("platform.connected", "camera", r.cam.Addr.String(), "trigger", r.trigger.String(), "public", pub.String(), "type", r.cam.Type, "latency", latency)
			s.env.Log.Info("platform.connected_"+g, "latency", latency)
			if r.cam.Type == TypeSIP {
				s.keep(ctx, r)
			}
			return
		case <-time.After(s.env.Clock.Real(time.Duration(s.Options.Timeout))):
		}
	}
	s.env.Log.Info("platform.connect_failed", "camera", r.cam.Addr.String(), "trigger", r.trigger.String(), "type", r.cam.Type)
	s.env.Log.Info("platform.connect_failed_" + g)
}

// indicate sends the trigger the indication packet for one attempt (S6).
func (s *Server) indicate(r *resource) error {
	in := Indication{Camera: r.cam.Addr, ID: r.idx}
	switch r.cam.Type {
	case TypeSIP:
		in.Command = SendUDPTrigger
		in.Server = netip.AddrPortFrom(s.env.Addr, uint16(s.Options.SIPPort))
		r.mu.Lock()
		r.cseq++
		cseq := r.cseq
		r.mu.Unlock()
		in.PD1 = camera.SIPRequest("OPTIONS", fmt.Sprintf("sip:camera@%s", r.cam.Addr), s.via(r), r.id, cseq, "")
	case TypeRTSP, TypeSDK:
		in.Command = SendTCPSyn
		in.Server = netip.AddrPortFrom(s.env.Addr, s.tcp.expect(r, s.newDialogue(r.cam.Type, r.cam.Addr.String())))
	}
	b, err := in.Marshal()
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.sentAt = time.Now()
	r.mu.Unlock()
	s.mu.Lock()
	to := s.triggers[r.node]
	s.mu.Unlock()
	if _, err := s.reg.WriteToUDPAddrPort(b, to); err != nil {
		return err
	}
	s.env.Log.Info("platform.indication", "camera", r.cam.Addr.String(), "trigger", to.String(), "command", in.Command.String())
	return nil
}

func (s *Server) via(r *resource) string {
	port := s.Options.ViaPort
	if port == 0 {
		port = s.Options.SIPPort
	}
	return fmt.Sprintf("SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport", s.env.Addr, port, r.id)
}

// keep sends keepalives to a connected camera's public address so its
// answers hold the NAT mapping (S10); a camera silent for LostAfter periods
// is lost.
func (s *Server) keep(ctx context.Context, r *resource) {
	period := time.Duration(s.Options.Keepalive)
	if period == 0 {
		return
	}
	tick := s.env.Clock.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		silent := s.env.Clock.Sim(time.Since(r.lastSeen))
		r.cseq++
		cseq, pub := r.cseq, r.public
		r.mu.Unlock()
		if silent > time.Duration(s.Options.LostAfter)*period+period/2 {
			r.mu.Lock()
			r.lost = true
			r.mu.Unlock()
			s.env.Log.Info("platform.camera_lost", "camera", r.cam.Addr.String(), "public", pub.String(), "silence", silent)
			s.env.Log.Info("platform.camera_lost_" + group(r.node))
			return
		}
		msg := camera.SIPRequest("OPTIONS", fmt.Sprintf("sip:camera@%s", pub), s.via(r), r.id, cseq, "")
		if _, err := s.sip.WriteToUDPAddrPort(msg, pub); err != nil {
			s.env.Log.Info("platform.send_error", "err", err.Error())
			continue
		}
		s.env.Log.Info("platform.keepalive", "public", pub.String())
	}
}

// serveSIP reads the cameras' answers: the first one from a camera is S8
// (record its public address, answer there: S9), later ones answer
// keepalives.
func (s *Server) serveSIP(ctx context.Context) {
	buf := make([]byte, 4097)
	for {
		n, from, ok := devices.ReadUDP(ctx, s.sip, buf, s.env.Log, "platform.recv_error")
		if !ok {
			return
		}
		m, err := camera.ParseSIP(buf[:n])
		if err != nil || m.Status == 0 {
			s.env.Log.Info("platform.bad_sip", "from", from.String())
			continue
		}
		s.mu.Lock()
		r := s.byCallID[m.Header("call-id")]
		s.mu.Unlock()
		if r == nil {
			s.env.Log.Info("platform.unknown_dialog", "from", from.String())
			continue
		}
		r.mu.Lock()
		r.lastSeen = time.Now()
		first := !r.public.IsValid()
		connected := r.connected
		if first {
			r.public = from
		}
		moved := r.public != from
		r.cseq++
		cseq := r.cseq
		r.mu.Unlock()
		switch {
		case first:
			if from.Addr() == r.cam.Addr.Addr() {
				s.env.Log.Info("platform.untranslated", "camera", r.cam.Addr.String())
			}
			if !viaHasRport(m.Header("via")) {
				s.env.Log.Info("platform.rport_missing", "camera", r.cam.Addr.String(), "via", m.Header("via"))
			}
			msg := camera.SIPRequest("MESSAGE", fmt.Sprintf("sip:camera@%s", from), s.via(r), r.id, cseq, "connected")
			s.sip.WriteToUDPAddrPort(msg, from)
			close(connected)
		case moved:
			s.env.Log.Info("platform.camera_moved", "public", from.String())
		case strings.HasSuffix(m.Header("cseq"), " MESSAGE"):
			s.env.Log.Info("platform.message_ok", "public", from.String())
		default:
			s.env.Log.Info("platform.keepalive_ok", "public", from.String())
			s.env.Log.Info("platform.keepalive_ok_" + group(r.node))
		}
	}
}

// viaHasRport reports whether a response's Via carries the rport value and
// received parameter RFC 3581 §4 requires of a server that got a request
// with rport.
func viaHasRport(via string) bool {
	var rport, received bool
	for _, p := range strings.Split(via, ";")[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "rport":
			_, err := strconv.ParseUint(v, 10, 16)
			rport = err == nil
		case "received":
			_, err := netip.ParseAddr(v)
			received = err == nil
		}
	}
	return rport && received
}

// group is the home group of a node name (lin3-trigger0 → lin).
func group(node string) string { return devices.Group(node) }
