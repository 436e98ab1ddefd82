package rendezvous

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/ns"
)

// Roles is the rendezvous role.
func Roles() []devices.Role {
	return []devices.Role{
		{Name: "rendezvous", Doc: "seed 001 rendezvous server: device registry, overlay addresses, heartbeats, session keys wrapped per device, hole punching",
			Options: func() any { return DefaultOptions() },
			New:     func(o any) (devices.Device, error) { return &Server{Options: *o.(*Options)}, nil }},
	}
}

// Server is a running rendezvous server.
type Server struct {
	Options Options

	env      *devices.Env
	conn     *net.UDPConn
	mu       sync.Mutex
	reg      *Registry
	slow     chan job
	held     map[uint64]heldOffer    // session → the target's offer, until the caller is ready
	sessions map[uint64]relaySession // session → its two sides, for relayWindow
	busy     map[string]bool         // devices with a job queued or running
}

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context, env *devices.Env) error {
	s.env = env
	devs, err := s.Options.devices()
	if err != nil {
		return fmt.Errorf("rendezvous registry: %w", err)
	}
	pool, err := netip.ParsePrefix(s.Options.Overlay)
	if err != nil {
		return fmt.Errorf("rendezvous overlay: %w", err)
	}
	kdf := KDF{Time: s.Options.KDF.Time, MemoryKiB: s.Options.KDF.MemoryKiB, Threads: s.Options.KDF.Threads}
	if s.reg, err = NewRegistry(devs, pool, kdf, s.Options.Secret, s.Options.offlineAfter(), time.Duration(s.Options.Expires)); err != nil {
		return fmt.Errorf("rendezvous registry: %w", err)
	}
	if s.conn, err = env.NS.ListenUDP("udp4", &net.UDPAddr{Port: s.Options.Port}); err != nil {
		return fmt.Errorf("rendezvous socket: %w", err)
	}
	defer s.conn.Close()
	if err := ns.ForceReadBuffer(s.conn, 8<<20); err != nil {
		env.Log.Info("rendezvous.rcvbuf_error", "err", err.Error())
	}
	env.Log.Info("rendezvous.start", "devices", s.reg.Len())
	stop := context.AfterFunc(ctx, func() { s.conn.Close() })
	defer stop()
	s.slow, s.busy, s.held, s.sessions = make(chan job, slowQueue), map[string]bool{}, map[uint64]heldOffer{}, map[uint64]relaySession{}
	var wg sync.WaitGroup
	wg.Go(func() { s.sweep(ctx) })
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() { s.work(ctx) })
	}
	wg.Go(func() { s.precompute(ctx) })
	s.serve(ctx)
	close(s.slow)
	wg.Wait()
	return nil
}

// heldOffer is a target's offer waiting for its caller's ready.
type heldOffer struct {
	caller string
	target *Entry
	b      []byte
	at     time.Duration
}

// heldFor is how long a target's offer waits for the caller's ready.
const heldFor = 30 * time.Second

// ready sends the target its offer once the caller says its first punch
// has left.
func (s *Server) ready(e *Entry, m Msg, from netip.AddrPort, now time.Duration) {
	if !s.touch(e, m, from, now) {
		return
	}
	s.mu.Lock()
	h, ok := s.held[m.Session]
	if ok && h.caller == e.ID {
		delete(s.held, m.Session)
	}
	to := h.target
	var pub netip.AddrPort
	if to != nil {
		pub = to.Public
	}
	s.mu.Unlock()
	if !ok || h.caller != e.ID {
		s.env.Log.Info("rendezvous.unknown_session", "id", e.ID, "session", m.Session)
		return
	}
	s.write(h.b, pub)
}

// job is a message that waits for its device's first key derivation.
type job struct {
	m    Msg
	b    []byte
	from netip.AddrPort
}

// slowQueue bounds the messages waiting for a key derivation; beyond it they
// are dropped (rendezvous.busy) and the device retransmits.
const slowQueue = 4096

// work runs Argon2id for devices seen for the first time, off the receive
// loop, then handles their message; GOMAXPROCS workers bound the memory the
// KDF holds at once.
func (s *Server) work(ctx context.Context) {
	for j := range s.slow {
		if ctx.Err() != nil {
			continue
		}
		e, _ := s.reg.Lookup(j.m.ID)
		s.reg.Keys(e)
		s.handle(j.m, j.b, j.from)
		s.mu.Lock()
		delete(s.busy, j.m.ID)
		s.mu.Unlock()
	}
}

// precompute derives every device's keys in the background from the
// start, as a server that stores password hashes would have them: the
// first registrations then rarely wait for Argon2id. Registry.Keys bounds
// the concurrency; a device that registers first is derived by its worker.
func (s *Server) precompute(ctx context.Context) {
	for _, e := range s.reg.Entries() {
		if ctx.Err() != nil {
			return
		}
		s.reg.Keys(e)
	}
}

// sweep marks silent devices offline and releases expired registrations.
func (s *Server) sweep(ctx context.Context) {
	tick := s.env.Clock.NewTicker(time.Duration(s.Options.Heartbeat) / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		now := s.env.Clock.Now()
		changes := s.reg.Sweep(now)
		for id, h := range s.held {
			if now-h.at > heldFor {
				delete(s.held, id)
			}
		}
		for id, rs := range s.sessions {
			if now-rs.at > relayWindow {
				delete(s.sessions, id)
			}
		}
		s.mu.Unlock()
		for _, c := range changes {
			s.env.Log.Info("rendezvous."+c.Kind, "id", c.ID, "overlay", c.Overlay.String(), "silence", c.Silence)
		}
	}
}

func (s *Server) serve(ctx context.Context) {
	buf := make([]byte, MaxMessage+1)
	for {
		n, from, ok := devices.ReadUDP(ctx, s.conn, buf, s.env.Log, "rendezvous.recv_error")
		if !ok {
			return
		}
		b := buf[:n]
		m, err := Parse(b)
		if err == nil && m.Type != THello && m.Type != TRegister && m.Type != THeartbeat && m.Type != TConnect && m.Type != TReady &&
			m.Type != TRelayReq && m.Type != TRelayAddr {
			err = fmt.Errorf("%w: %s is not for the server", ErrType, m.Type)
		}
		if err != nil {
			s.env.Log.Info("rendezvous.bad_message", "from", from.String(), "err", err.Error())
			continue
		}
		if m.Type != THello && s.needsKDF(m.ID) {
			s.enqueue(m, b, from)
			continue
		}
		s.handle(m, b, from)
	}
}

// enqueue queues a message for a worker, once per device: a retransmission
// while the first is waiting would only be refused as a stale challenge.
func (s *Server) enqueue(m Msg, b []byte, from netip.AddrPort) {
	s.mu.Lock()
	dup := s.busy[m.ID]
	s.busy[m.ID] = true
	s.mu.Unlock()
	if dup {
		s.env.Log.Info("rendezvous.busy", "id", m.ID, "why", "retransmission while deriving its key")
		return
	}
	select {
	case s.slow <- job{m: m, b: append([]byte(nil), b...), from: from}:
	default:
		s.mu.Lock()
		delete(s.busy, m.ID)
		s.mu.Unlock()
		s.env.Log.Info("rendezvous.busy", "id", m.ID, "why", "queue full")
	}
}

// needsKDF reports whether id is a registry device whose keys are not
// derived yet: handling its message would block the receive loop.
func (s *Server) needsKDF(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.reg.Lookup(id)
	return ok && !s.reg.HasKeys(e)
}

func (s *Server) handle(m Msg, b []byte, from netip.AddrPort) {
	now := s.env.Clock.Now()
	s.mu.Lock()
	e, ok := s.reg.Lookup(m.ID)
	s.mu.Unlock()
	if !ok {
		s.env.Log.Info("rendezvous.refused_unknown", "id", m.ID, "from", from.String(), "type", m.Type.String())
		s.refuse(UnknownDevice, m, from)
		return
	}
	if m.Type == THello {
		s.challenge(e, m, from, now)
		return
	}
	keys := s.reg.Keys(e) // Argon2id once per device, usually warmed by the hello
	if (e.User != "" && m.User != e.User && m.Type == TRegister) || !Verify(b, keys.Auth) {
		s.env.Log.Info("rendezvous.refused_credentials", "id", m.ID, "from", from.String(), "type", m.Type.String())
		s.refuse(BadCredentials, m, from)
		return
	}
	switch m.Type {
	case TRegister:
		s.register(e, keys, m, from, now)
	case THeartbeat:
		s.heartbeat(e, keys, m, from, now)
	case TConnect:
		s.connect(e, keys, m, from, now)
	case TReady:
		s.ready(e, m, from, now)
	case TRelayReq:
		s.relayRequest(e, keys, m, from, now)
	case TRelayAddr:
		s.relayAddr(e, m, from, now)
	}
}

func (s *Server) challenge(e *Entry, m Msg, from netip.AddrPort, now time.Duration) {
	s.mu.Lock()
	nonce, ok := s.reg.Outstanding(e, now) // a repeated hello gets the same challenge
	if !ok {
		rand.Read(nonce[:])
		s.reg.Challenge(e, nonce, now)
	}
	kdf := s.reg.KDFFor(e)
	s.mu.Unlock()
	s.send(&Msg{Type: TChallenge, ID: e.ID, Nonce: nonce, KDF: kdf}, from)
}

func (s *Server) register(e *Entry, keys DeviceKeys, m Msg, from netip.AddrPort, now time.Duration) {
	s.mu.Lock()
	if !s.reg.TakeChallenge(e, m.Nonce, now) {
		s.mu.Unlock()
		s.env.Log.Info("rendezvous.stale_challenge", "id", e.ID, "from", from.String())
		s.refuse(StaleChallenge, m, from)
		return
	}
	again := e.Registered
	overlay, err := s.reg.Register(e, from, now)
	s.mu.Unlock()
	if err != nil {
		s.env.Log.Info("rendezvous.pool_full", "id", e.ID)
		return
	}
	s.env.Log.Info("rendezvous.registered", "id", e.ID, "overlay", overlay.String(), "public", from.String(), "again", again)
	s.sign(&Msg{Type: TRegistered, ID: e.ID, Overlay: overlay, Public: from, Heartbeat: ms(time.Duration(s.Options.Heartbeat)),
		Expires: ms(time.Duration(s.Options.Expires))}, keys, from)
}

func (s *Server) heartbeat(e *Entry, keys DeviceKeys, m Msg, from netip.AddrPort, now time.Duration) {
	if !s.touch(e, m, from, now) {
		return
	}
	s.sign(&Msg{Type: THeartbeatAck, ID: e.ID, Seq: m.Seq, Public: from}, keys, from)
}

// touch checks an authenticated heartbeat or connect against the
// registration and its sequence numbers; it answers refusals itself.
func (s *Server) touch(e *Entry, m Msg, from netip.AddrPort, now time.Duration) bool {
	s.mu.Lock()
	registered := e.Registered
	moved, ok := s.reg.Touch(e, m.Seq, from, now)
	s.mu.Unlock()
	switch {
	case !registered:
		s.env.Log.Info("rendezvous.not_registered", "id", e.ID, "type", m.Type.String())
		s.refuse(NotRegistered, m, from)
	case !ok:
		s.env.Log.Info("rendezvous.replayed", "id", e.ID, "type", m.Type.String(), "seq", m.Seq)
		s.refuse(Replayed, m, from)
	case moved:
		s.env.Log.Info("rendezvous.moved", "id", e.ID, "public", from.String())
	}
	return ok
}

// connect answers a connection request: the target must be registered and
// online; then a fresh session key goes to both, each wrapped under its own
// device key, with the other's endpoint, and both start punching.
func (s *Server) connect(e *Entry, keys DeviceKeys, m Msg, from netip.AddrPort, now time.Duration) {
	if !s.touch(e, m, from, now) {
		return
	}
	s.mu.Lock()
	t, known := s.reg.Lookup(m.Target)
	registered := known && t.Registered
	online := registered && s.reg.Online(t, now)
	var tPublic netip.AddrPort
	var tOverlay, eOverlay netip.Addr
	if registered {
		tPublic, tOverlay, eOverlay = t.Public, t.Overlay, e.Overlay
	}
	s.mu.Unlock()
	switch {
	case !registered || t == e:
		s.env.Log.Info("rendezvous.unknown_target", "id", e.ID, "target", m.Target)
		s.refuse(UnknownTarget, m, from)
		return
	case !online:
		s.env.Log.Info("rendezvous.target_offline", "id", e.ID, "target", m.Target)
		s.refuse(TargetOffline, m, from)
		return
	}
	var key [32]byte
	var sid [8]byte
	rand.Read(key[:])
	for binary.BigEndian.Uint64(sid[:]) == 0 {
		rand.Read(sid[:])
	}
	session := binary.BigEndian.Uint64(sid[:])
	tKeys := s.reg.Keys(t)
	toCaller := &Msg{ID: e.ID, Target: t.ID, Session: session, Seq: m.Seq, Caller: true, Overlay: tOverlay, Public: tPublic}
	toTarget := &Msg{ID: t.ID, Target: e.ID, Session: session, Overlay: eOverlay, Public: from}
	bc, err := SealOffer(toCaller, keys.Wrap, key, rand.Reader)
	if err != nil {
		s.env.Log.Info("rendezvous.send_error", "err", err.Error())
		return
	}
	bt, err := SealOffer(toTarget, tKeys.Wrap, key, rand.Reader)
	if err != nil {
		s.env.Log.Info("rendezvous.send_error", "err", err.Error())
		return
	}
	// The target's offer waits for the caller's ready: its first punch has
	// then left, so the target's punches never reach the caller's gateway
	// before the caller has opened its mapping (the order the matrix needs
	// to repeat, whatever the machine's load).
	s.mu.Lock()
	s.held[session] = heldOffer{caller: e.ID, target: t, b: bt, at: now}
	s.sessions[session] = relaySession{caller: e.ID, target: t.ID, at: now}
	s.mu.Unlock()
	s.write(bc, from)
	s.env.Log.Info("rendezvous.session", "id", e.ID, "target", t.ID, "caller_public", from.String(), "target_public", tPublic.String())
}

func (s *Server) refuse(r Reason, m Msg, to netip.AddrPort) {
	s.send(&Msg{Type: TRefused, Reason: r, ID: m.ID, Seq: m.Seq, Text: r.String()}, to)
}

func (s *Server) send(m *Msg, to netip.AddrPort) {
	b, err := m.Marshal()
	if err != nil {
		s.env.Log.Info("rendezvous.send_error", "err", err.Error())
		return
	}
	s.write(b, to)
}

func (s *Server) sign(m *Msg, keys DeviceKeys, to netip.AddrPort) {
	b, err := Sign(m, keys.Auth)
	if err != nil {
		s.env.Log.Info("rendezvous.send_error", "err", err.Error())
		return
	}
	s.write(b, to)
}

func (s *Server) write(b []byte, to netip.AddrPort) {
	if _, err := s.conn.WriteToUDPAddrPort(b, to); err != nil && !errors.Is(err, net.ErrClosed) {
		s.env.Log.Info("rendezvous.send_error", "err", err.Error())
	}
}

func ms(d time.Duration) uint32 { return uint32(d / time.Millisecond) }

var groupRE = regexp.MustCompile(`^([a-z][a-z0-9-]*?)\d+-`)

// Group is the home group of a node name or device id (lin3-stb0 → lin),
// "other" when it has none: events per group let a scenario assert per NAT
// profile.
func Group(id string) string {
	if m := groupRE.FindStringSubmatch(id); m != nil {
		return m[1]
	}
	return "other"
}
