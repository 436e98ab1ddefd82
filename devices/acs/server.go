package acs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/nat/stun"
	"github.com/boxlab/boxlab/sim/ns"
	"golang.org/x/net/ipv4"
)

// Server is a running acs.
type Server struct {
	Options Options

	env   *devices.Env
	stunc *net.UDPConn

	mu       sync.Mutex
	devs     map[string]*device
	byUser   map[string]*device
	queue    Queue
	tracker  annexg.Tracker
	crSeq    uint64
	sessions map[string]*session
	rpcSeq   uint64

	guard     *httpauth.Guard
	authFails map[string]int // refused credentials by reason
	tlsFails  int            // failed TLS handshakes
	crClient  *http.Client   // TCP connection requests (TR-069 §3.2.2)
	bg        sync.WaitGroup // TCP connection requests and attacks in flight
}

// device is what the ACS knows about one STB.
type device struct {
	ID          string
	Root        string         // data-model root the CPE uses: Device. or InternetGatewayDevice.
	Local       netip.AddrPort // as reported in the Inform (ConnectionRequestURL host, UDP connection-request port)
	Reported    string         // UDPConnectionRequestAddress as last reported
	Observed    netip.Addr     // HTTP source
	NAT         bool
	Params      Params
	Key         string // the ParameterKey of the last SetParameterValues the CPE acknowledged
	AckedGen    int    // the Params generation the CPE holds (0: unknown, send them)
	Cred        *annexg.Credential
	Binding     netip.AddrPort // public UDP connection-request address, from the last valid keepalive
	CRURL       string         // ConnectionRequestURL as last reported, if it is an http://IP URL
	BootAt      time.Duration
	SeenSince   bool // a valid keepalive arrived since the last boot
	lastKA      []byte
	lastCR      []byte
	lastCRBytes netip.AddrPort
	lastTCPAuth string // the Authorization of the last TCP connection request the device accepted
}

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context, env *devices.Env) error {
	o := &s.Options
	if o.Commands != nil {
		o.Commands.defaults()
	}
	if o.Attacker != nil {
		o.Attacker.defaults()
	}
	s.env = env
	s.devs, s.byUser = map[string]*device{}, map[string]*device{}
	s.sessions = map[string]*session{}
	s.queue = Queue{Policy: Policy{Retry: time.Duration(o.Retry), MaxRetry: time.Duration(o.MaxRetry), Attempts: o.Attempts, TTL: time.Duration(o.TTL), InFlight: o.InFlight}}
	s.tracker = annexg.Tracker{Missed: o.Missed}
	s.guard, s.authFails = s.newGuard(), map[string]int{}
	s.crClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: env.NS.DialContext, DisableKeepAlives: true}}

	c, err := env.NS.ListenUDP("udp4", &net.UDPAddr{Port: o.STUNPort})
	if err != nil {
		return fmt.Errorf("acs stun listen: %w", err)
	}
	defer c.Close()
	// Thousands of devices share this socket: a boot storm overflows the
	// default receive buffer in any scheduling hiccup.
	if err := ns.ForceReadBuffer(c, 8<<20); err != nil {
		env.Log.Info("acs.stun_error", "err", "receive buffer: "+err.Error())
	}
	// ... and its answers stay charged to it until the boxes' sockets take
	// them (veth backlogs, the gateways' forwarding): with the default send
	// buffer the STUN entity can wait in sendmmsg instead of reading.
	if err := ns.ForceWriteBuffer(c, 8<<20); err != nil {
		env.Log.Info("acs.stun_error", "err", "send buffer: "+err.Error())
	}
	s.stunc = c
	l, err := env.NS.Listen("tcp4", fmt.Sprintf(":%d", o.HTTPPort))
	if err != nil {
		return fmt.Errorf("acs http listen: %w", err)
	}
	if o.TLS {
		if l, err = s.listenTLS(l); err != nil {
			return err
		}
	}
	s.warnInsecure()
	hs := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: s.errorLog()}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); hs.Serve(l) }()
	go func() { defer wg.Done(); s.stunLoop(ctx) }()
	go func() { defer wg.Done(); s.tick(ctx) }()
	<-ctx.Done()
	c.Close()
	hs.Close()
	wg.Wait()
	s.bg.Wait()
	s.mu.Lock()
	cnt := s.queue.Counts()
	env.Log.Info("acs.stats", append([]any{"devices", len(s.devs), "online", s.tracker.Count(), "done", cnt[Done],
		"failed", cnt[Failed], "expired", cnt[Expired], "pending", cnt[Queued] + cnt[Sent] + cnt[Fetched], "tls_fail", float64(s.tlsFails)}, s.authStats()...)...)
	s.mu.Unlock()
	return nil
}

func (s *Server) now() time.Duration { return s.env.Clock.Now() }

// stunBatch is how many datagrams one recvmmsg/sendmmsg moves. Large,
// because with 10,000 boxes in the process the STUN entity is one goroutine
// among thousands: each turn it gets must drain what queued since the last
// (64 a turn left a standing queue past the boxes' 2 s retransmission).
const stunBatch = 512

// stunLoop is the STUN entity: TR-111 keepalives in either dialect, read
// and answered in batches (recvmmsg/sendmmsg), so a busy server pays one
// pair of system calls per batch instead of per keepalive.
func (s *Server) stunLoop(ctx context.Context) {
	pc := ipv4.NewPacketConn(s.stunc)
	in := make([]ipv4.Message, stunBatch)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 2048)}
	}
	out := make([]ipv4.Message, 0, stunBatch)
	for {
		n, err := pc.ReadBatch(in, 0)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.env.Log.Info("acs.stun_error", "err", err.Error())
				continue
			}
			return
		}
		out = out[:0]
		for i := range in[:n] {
			ua, ok := in[i].Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			ap := ua.AddrPort()
			from := netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
			if b := s.keepalive(append([]byte(nil), in[i].Buffers[0][:in[i].N]...), from); b != nil {
				out = append(out, ipv4.Message{Buffers: [][]byte{b}, Addr: ua})
			}
		}
		for len(out) > 0 {
			k, err := pc.WriteBatch(out, 0)
			if err != nil {
				s.env.Log.Info("acs.send_error", "err", err.Error())
				break
			}
			out = out[k:]
		}
	}
}

// keepalive checks one datagram and returns the answer to send, if any.
// The journal events are logged after s.mu is released: the STUN entity
// holds the lock only for the check and the state change, so sessions and
// the ticker are not held up by event formatting.
func (s *Server) keepalive(b []byte, from netip.AddrPort) []byte {
	now := s.now()
	var ev kaEvents
	s.mu.Lock()
	r := annexg.CheckKeepalive(b, from, now, func(u string) (*annexg.Credential, bool) {
		d, ok := s.byUser[u]
		if !ok {
			return nil, false
		}
		return d.Cred, true
	}, s.Options.RequireIntegrity)
	var d *device
	if r.OK {
		d = s.byUser[stunUser(r)]
		if d == nil && r.Device != "" {
			d = s.devs[r.Device]
		}
	}
	if r.OK && d != nil {
		d.Cred.Accept(r, from, now)
		d.lastKA = b
		ev.id = d.ID
		ev.moved = d.Binding.IsValid() && d.Binding != from
		ev.old = d.Binding
		d.Binding = from
		if _, ok := s.tracker.Seen(d.ID, now, time.Duration(s.Options.Period)); ok {
			ev.online = true
			if !d.SeenSince {
				ev.after, ev.first = now-d.BootAt, true
			}
		}
		d.SeenSince = true
	}
	s.mu.Unlock()
	switch {
	case r.OK && d != nil:
		s.logKeepalive(r, from, ev)
	case r.OK && d == nil:
		s.env.Log.Info("acs.keepalive_anonymous", "from", from.String())
	case !r.OK && r.Reason == annexg.KARetransmitted:
		s.env.Log.Info("acs.keepalive_retransmitted", "from", from.String())
	case !r.OK && r.Reason != annexg.KANotKeepalive:
		s.env.Log.Info("acs.keepalive_rejected", "reason", r.Reason, "from", from.String(), "code", r.Code)
	}
	if r.Code < 0 || r.Msg == nil {
		return nil
	}
	return s.reply(r.Msg, from, r.Code)
}

// kaEvents is what a valid keepalive changed, noted under s.mu and logged
// after it.
type kaEvents struct {
	id     string
	moved  bool           // the binding differs from the last one
	old    netip.AddrPort // the last binding
	online bool           // the device came online
	first  bool           // ... for the first time since its boot, after
	after  time.Duration
}

func (s *Server) logKeepalive(r annexg.KAResult, from netip.AddrPort, ev kaEvents) {
	s.env.Log.Info("acs.keepalive", "device", ev.id, "from", from.String(), "dialect", r.Msg.Dialect.String(), "binding_change", r.BindingChange)
	if r.TooFrequent {
		s.env.Log.Info("acs.keepalive_too_frequent", "device", ev.id)
	}
	if ev.moved {
		s.env.Log.Info("acs.binding_changed", "device", ev.id, "old", ev.old.String(), "new", from.String(), "flagged", r.BindingChange)
		if from.Addr() == s.env.Addr {
			// Only the built-in attacker sends from the ACS's own address.
			s.env.Log.Info("acs.binding_hijacked", "device", ev.id)
		}
	}
	if ev.online {
		attrs := []any{"device", ev.id}
		if ev.first {
			attrs = append(attrs, "after", ev.after)
		}
		s.env.Log.Info("acs.online", attrs...)
	}
}

func stunUser(r annexg.KAResult) string {
	if u, ok := r.Msg.Get(stun.AttrUsername); ok {
		return string(u)
	}
	return ""
}

// reply answers a Binding Request: MAPPED-ADDRESS (and XOR-MAPPED-ADDRESS
// in RFC 5389) on success, ERROR-CODE otherwise.
func (s *Server) reply(req *stun.Message, to netip.AddrPort, code int) []byte {
	res := &stun.Message{Dialect: req.Dialect, Type: stun.BindingSuccess, TransactionID: req.TransactionID}
	if code == 0 {
		res.Attrs = append(res.Attrs, stun.AddrAttr(stun.AttrMappedAddress, to))
		if req.Dialect == stun.RFC5389 {
			res.Attrs = append(res.Attrs, stun.XORMappedAddressAttr(to, req.TransactionID))
		}
	} else {
		res.Type = stun.BindingError
		res.Attrs = append(res.Attrs, stun.ErrorAttr(code, annexg.ErrorFor(code)))
	}
	var b []byte
	var err error
	if req.Dialect == stun.RFC5389 {
		b, err = stun.BuildRFC5389Fingerprint(res)
	} else {
		b, err = res.Encode()
	}
	if err != nil {
		s.env.Log.Info("acs.send_error", "err", err.Error())
		return nil
	}
	return b
}

// tick drives time: offline detection, command delivery, the built-in
// operator and attacker.
func (s *Server) tick(ctx context.Context) {
	t := s.env.Clock.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var nextOp, nextAttack time.Duration
	if c := s.Options.Commands; c != nil {
		nextOp = time.Duration(c.Start)
	}
	if a := s.Options.Attacker; a != nil {
		nextAttack = time.Duration(a.Start)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.now()
		if c := s.Options.Commands; c != nil && now >= nextOp {
			nextOp = now + time.Duration(c.Every)
			s.queueCommands(QueueRequest{Kind: c.Kind, Param: c.Param, Value: c.Value, Select: c.Targets})
		}
		if a := s.Options.Attacker; a != nil && now >= nextAttack {
			nextAttack = now + time.Duration(a.Every)
			s.attack(ctx)
		}
		s.deliver(ctx, now)
	}
}

func (s *Server) deliver(ctx context.Context, now time.Duration) {
	type send struct {
		job  *Job
		to   netip.AddrPort
		msgs [][]byte
	}
	type tcpSend struct{ dev, job, url, user, pass string }
	var tcps []tcpSend
	var sends []send
	s.mu.Lock()
	for _, t := range s.tracker.Expire(now) {
		s.env.Log.Info("acs.offline", "device", t.Device, "silence", t.Silence)
	}
	due, ended := s.queue.Due(now, func(dev string) bool { return s.reachable(s.devs[dev]) })
	for _, j := range ended {
		s.logEnded(j)
	}
	for _, j := range due {
		d := s.devs[j.Device]
		if s.useTCP(d) {
			s.queue.Sent(j, now)
			tcps = append(tcps, tcpSend{dev: d.ID, job: j.ID, url: d.CRURL, user: d.Params.CRUsername, pass: d.Params.CRPassword})
			s.env.Log.Info("acs.cr_sent", "device", d.ID, "command", j.ID, "attempt", j.Attempts, "to", d.CRURL, "transport", "tcp")
			continue
		}
		msg := s.newCR(d, now)
		s.queue.Sent(j, now)
		sends = append(sends, send{job: j, to: d.Binding, msgs: [][]byte{msg}})
		s.env.Log.Info("acs.cr_sent", "device", d.ID, "command", j.ID, "attempt", j.Attempts, "to", d.Binding.String(), "transport", "udp")
	}
	s.mu.Unlock()
	for _, t := range tcps {
		s.bg.Go(func() { s.tcpCR(ctx, t.dev, t.job, t.url, t.user, t.pass) })
	}
	for _, sd := range sends {
		for range s.Options.Copies {
			if _, err := s.stunc.WriteToUDPAddrPort(sd.msgs[0], sd.to); err != nil {
				s.env.Log.Info("acs.send_error", "err", err.Error())
			}
		}
	}
}

// newCR builds and remembers a signed connection request for d (mu held).
func (s *Server) newCR(d *device, now time.Duration) []byte {
	s.crSeq++
	wall := s.env.Clock.Start().Add(now)
	ts := uint64(wall.Unix())
	if s.Options.Sender.Millis {
		ts = uint64(wall.UnixMilli())
	}
	id := fmt.Sprintf("%d", s.crSeq)
	cr := annexg.NewCR(ts, id, d.Params.CRUsername, randHex(8), d.Params.CRPassword, s.Options.Sender)
	b := annexg.Build(d.Binding, cr, s.Options.Sender)
	d.lastCR, d.lastCRBytes = b, d.Binding
	return b
}

func (s *Server) logEnded(j *Job) {
	switch j.State {
	case Expired:
		s.env.Log.Info("acs.command_expired", "device", j.Device, "command", j.ID, "kind", j.Kind, "attempts", j.Attempts)
		if g := group(j.Device); g != "" {
			s.env.Log.Info("acs.undelivered_"+g, "device", j.Device)
		}
	case Failed:
		s.env.Log.Info("acs.command_failed", "device", j.Device, "command", j.ID, "kind", j.Kind, "reason", j.Reason, "attempts", j.Attempts)
		if g := group(j.Device); g != "" {
			s.env.Log.Info("acs.undelivered_"+g, "device", j.Device)
		}
	case Done:
		latency := j.Ended - j.Queued
		s.env.Log.Info("acs.command_done", "device", j.Device, "command", j.ID, "kind", j.Kind, "attempts", j.Attempts, "latency", latency)
		if g := group(j.Device); g != "" {
			s.env.Log.Info("acs.rtt_"+g, "latency", latency)
		}
	}
}

var groupRE = regexp.MustCompile(`^([a-z][a-z0-9-]*?)\d+-`)

// group is the home group of a node name (home3-stb0 → home).
func group(node string) string {
	m := groupRE.FindStringSubmatch(node)
	if m == nil {
		return ""
	}
	return m[1]
}

// queueCommands queues a command for the devices a request names.
func (s *Server) queueCommands(r QueueRequest) ([]*Job, error) {
	if !validKind(r.Kind) {
		return nil, fmt.Errorf("kind %q; want reboot, get, set or download", r.Kind)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	targets := r.Devices
	switch r.Select {
	case "":
	case "all", "online":
		for _, id := range sortedDevices(s.devs) {
			if r.Select == "all" || s.tracker.Online(id) {
				targets = append(targets, id)
			}
		}
	default:
		return nil, fmt.Errorf("select %q; want all or online", r.Select)
	}
	var jobs []*Job
	for _, id := range targets {
		if _, ok := s.devs[id]; !ok {
			return jobs, fmt.Errorf("no device %q", id)
		}
		j := s.queue.Add(id, Command{Kind: r.Kind, Param: r.Param, Value: r.Value}, now)
		s.env.Log.Info("acs.command_queued", "device", id, "command", j.ID, "kind", j.Kind)
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
