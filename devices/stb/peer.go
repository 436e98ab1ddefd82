// The peer role. This file and peer_*.go are the set-top box of seed 001:
// it registers with a rendezvous server (hello, challenge, register with an
// HMAC under its Argon2id-derived key), heartbeats, asks for sessions with
// its targets by id, unwraps the server's session key, punches through the
// NATs towards the endpoint the server gave it (and learns the peer's real
// endpoint from its first authenticated packet), and then exchanges
// ChaCha20-Poly1305 pings and pongs with sequence numbers and a replay
// window. When punching fails within punch_timeout both sides fall back to
// the server's TURN relay (peer_relay.go) and run the same session through
// it. When the link goes silent the caller asks again and gets a new
// key; the old one no longer opens anything. With forge: true the caller
// also replays, alters and seals with the previous session's key, so the
// other side's refusals can be counted.
//
// Events: peer.registered(_<group>) with latency, peer.refused(_<group>)
// with reason, peer.reregister, peer.request, peer.offer(_<group>),
// peer.unwrap_failed, peer.offer_replayed, peer.target_offline(_<pair>),
// peer.connect_refused, peer.request_timeout, peer.session_up(_<pair>) with
// latency (caller: connect sent → path open both ways) and path (direct or
// relayed), peer.session_direct_<pair> and peer.session_relayed_<pair> with
// latency, peer.accepted (callee side up, with path),
// peer.session_failed(_<pair>), peer.punch_failed(_<pair>) (the relay is
// tried next), peer.relay_refused (reason), peer.relay_allocated (relayed,
// latency), peer.relay_peer, peer.relay_failed, peer.link_lost,
// peer.rekeyed, peer.pong with rtt, peer.peer_moved (peer-reflexive
// endpoint), peer.replay_refused, peer.forged_refused, peer.stale_refused,
// peer.unknown_session, peer.bad_packet, peer.bad_message, peer.forge_sent
// with kind. <pair> is <caller group>_<target group>, e.g. sym_full.

package stb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/rendezvous"
	"github.com/boxlab/boxlab/sim/scenario"
)

// PeerRoles are the seed 001 roles of this package.
func PeerRoles() []devices.Role {
	return []devices.Role{{Name: "peer",
		Doc:     "seed 001 set-top box: registers with a rendezvous server, asks for sessions, unwraps keys, punches holes, talks ChaCha20-Poly1305",
		Options: func() any { return DefaultPeerOptions() },
		New:     func(o any) (devices.Device, error) { return &Peer{Options: *o.(*PeerOptions)}, nil }}}
}

// PeerOptions configure a peer.
type PeerOptions struct {
	Server        string            `yaml:"server"`         // required: name of a rendezvous server
	Port          int               `yaml:"port"`           // its UDP port; default 7700
	ID            string            `yaml:"id"`             // device id; default the node name
	User          string            `yaml:"user"`           // default stb
	Password      string            `yaml:"password"`       // explicit password
	PasswordSeed  string            `yaml:"password_seed"`  // else rendezvous.DerivedPassword(seed, id); default boxlab
	Targets       []string          `yaml:"targets"`        // device ids to hold a session with (none: only answers)
	TargetPattern string            `yaml:"target_pattern"` // one more target: the pattern with this home's index for %d, e.g. b%d-stb0
	Interval      scenario.Duration `yaml:"interval"`       // ping period in a session; default 1s
	DeadAfter     scenario.Duration `yaml:"dead_after"`     // silence that ends a session; default 3s
	PunchInterval scenario.Duration `yaml:"punch_interval"` // default 200ms
	PunchTimeout  scenario.Duration `yaml:"punch_timeout"`  // give up punching (and fall back to the relay); default 5s
	Relay         bool              `yaml:"relay"`          // fall back to the server's TURN relay when punching fails; default true
	RelayTimeout  scenario.Duration `yaml:"relay_timeout"`  // after punch_timeout, give up the relayed path; default 5s
	Retry         scenario.Duration `yaml:"retry"`          // wait after a failed or refused request; default 2s
	Forge         bool              `yaml:"forge"`          // caller: replay, alter and use stale keys once per session
	ConnectAnyway bool              `yaml:"connect_anyway"` // an impostor: ask for sessions even when not registered
}

// DefaultPeerOptions are the defaults.
func DefaultPeerOptions() *PeerOptions {
	return &PeerOptions{Port: 7700, User: "stb", PasswordSeed: "boxlab", Interval: scenario.Duration(time.Second),
		DeadAfter: scenario.Duration(3 * time.Second), PunchInterval: scenario.Duration(200 * time.Millisecond),
		PunchTimeout: scenario.Duration(5 * time.Second), Retry: scenario.Duration(2 * time.Second),
		Relay: true, RelayTimeout: scenario.Duration(5 * time.Second)}
}

// Check validates the options.
func (o *PeerOptions) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	add := func(f, m string, a ...any) {
		errs = append(errs, scenario.FieldError{Field: f, Msg: fmt.Sprintf(m, a...)})
	}
	if o.Server == "" {
		add("", `missing "server"; want the name of a rendezvous server`)
	} else if s != nil && !s.HasServer(o.Server) {
		add("server", "no server named %q", o.Server)
	}
	if o.Port < 1 || o.Port > 65535 {
		add("port", "want a port 1..65535; got %d", o.Port)
	}
	if o.TargetPattern != "" && (strings.Count(o.TargetPattern, "%d") != 1 || strings.Count(o.TargetPattern, "%") != 1) {
		add("target_pattern", "want exactly one %%d; got %q", o.TargetPattern)
	}
	if o.Password == "" && o.PasswordSeed == "" {
		add("password", "want a password or a password_seed")
	}
	if o.Interval <= 0 || o.DeadAfter <= o.Interval || o.PunchInterval <= 0 || o.PunchTimeout <= o.PunchInterval || o.Retry <= 0 ||
		o.RelayTimeout <= 0 {
		add("interval", "want interval > 0, dead_after > interval, punch_interval > 0, punch_timeout > punch_interval, retry > 0, relay_timeout > 0")
	}
	return errs
}

// Peer is a running seed 001 set-top box.
type Peer struct {
	Options PeerOptions
}

// Run registers, heartbeats and holds sessions until ctx ends.
func (d *Peer) Run(ctx context.Context, env *devices.Env) error {
	o := d.Options
	addr, ok := env.Server(o.Server)
	if !ok {
		return fmt.Errorf("peer: no server %q", o.Server)
	}
	p := &peer{opts: o, env: env, srv: netip.AddrPortFrom(addr, uint16(o.Port)), id: o.ID,
		wake: make(chan struct{}, 1), sessions: map[uint64]*session{}, closed: map[uint64]bool{},
		byPeer: map[string]*session{}, pending: map[uint64]chan reply{}, seen: map[uint64]bool{}, lastKey: map[string]staleKey{}}
	if p.id == "" {
		p.id = env.Node
	}
	p.password = o.Password
	if p.password == "" {
		p.password = rendezvous.DerivedPassword(o.PasswordSeed, p.id)
	}
	var err error
	if p.conn, err = env.NS.ListenUDP("udp4", &net.UDPAddr{}); err != nil {
		return fmt.Errorf("peer socket: %w", err)
	}
	defer p.conn.Close()
	stop := context.AfterFunc(ctx, func() { p.conn.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { p.receive(ctx) })
	targets := o.Targets
	if o.TargetPattern != "" {
		i, ok := homeIndex(env.Node)
		if !ok {
			return fmt.Errorf("peer: target_pattern needs a node in a home group; %q is not", env.Node)
		}
		targets = append(slices.Clone(targets), fmt.Sprintf(o.TargetPattern, i))
	}
	for _, t := range targets {
		if t != p.id {
			wg.Go(func() { p.call(ctx, t) })
		}
	}
	p.keepRegistered(ctx)
	p.conn.Close()
	wg.Wait()
	return nil
}

// peer is one life of a Peer: its socket, registration and sessions.
type peer struct {
	opts     PeerOptions
	env      *devices.Env
	conn     *net.UDPConn
	srv      netip.AddrPort
	id       string
	password string
	cache    rendezvous.KeyCache
	wake     chan struct{}

	sendMu   sync.Mutex // seq assignment and send of heartbeats and connects, in order
	mu       sync.Mutex
	state    regState
	sessions map[uint64]*session
	closed   map[uint64]bool // sessions replaced or ended: their packets are stale
	byPeer   map[string]*session
	pending  map[uint64]chan reply // connect seq → the caller waiting for its answer
	seen     map[uint64]bool       // session ids of offers taken
	lastKey  map[string]staleKey   // per peer, the key of its last ended session
}

// regState is what the peer knows of its registration.
type regState struct {
	registered bool
	keys       rendezvous.DeviceKeys // valid once registered
	candidate  rendezvous.DeviceKeys // derived for the challenge in flight
	overlay    netip.Addr
	heartbeat  time.Duration
	seq        uint64
	missed     int
	helloAt    time.Time
	hellos     int
}

// reply is the server's answer to a connect (a session) or to a relay
// request (a grant, raw for unwrapping), or a refusal.
type reply struct {
	s      *session
	grant  *rendezvous.Msg
	raw    []byte
	reason rendezvous.Reason
}

func (p *peer) group() string { return rendezvous.Group(p.id) }

func (p *peer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

var homeIndexRE = regexp.MustCompile(`^[a-z][a-z0-9-]*?(\d+)-`)

// homeIndex is the index of a home node in its group (b17-stb0 → 17).
func homeIndex(node string) (int, bool) {
	m := homeIndexRE.FindStringSubmatch(node)
	if m == nil {
		return 0, false
	}
	i, err := strconv.Atoi(m[1])
	return i, err == nil
}

// keepRegistered says hello until registered, then heartbeats; three
// unanswered heartbeats or a "not registered" refusal start over. The
// first hello waits a random part of a second, so a thousand boxes started
// together do not all run their KDF at once.
func (p *peer) keepRegistered(ctx context.Context) {
	if p.env.Clock.Sleep(ctx, time.Duration(p.env.Rand.Int64N(int64(time.Second)))) != nil {
		return
	}
	for ctx.Err() == nil {
		p.mu.Lock()
		st := p.state
		p.mu.Unlock()
		var wait time.Duration
		if !st.registered {
			p.mu.Lock()
			if p.state.helloAt.IsZero() {
				p.state.helloAt, p.state.hellos = time.Now(), 0
			}
			p.state.hellos++
			// 2 s, 4 s, 8 s, then every 16 s, each stretched by up to a
			// quarter: a busy server is not flooded with retransmissions.
			wait = (2 * time.Second) << min(p.state.hellos-1, 3)
			wait += time.Duration(p.env.Rand.Int64N(int64(wait / 4)))
			p.mu.Unlock()
			p.send(&rendezvous.Msg{Type: rendezvous.THello, ID: p.id, User: p.opts.User})
		} else {
			if st.missed >= 3 {
				p.env.Log.Info("peer.reregister", "missed", st.missed)
				p.mu.Lock()
				p.state.registered, p.state.helloAt = false, time.Time{}
				p.mu.Unlock()
				continue
			}
			p.sendSigned(func(seq uint64) *rendezvous.Msg {
				return &rendezvous.Msg{Type: rendezvous.THeartbeat, ID: p.id, Seq: seq}
			})
			p.mu.Lock()
			p.state.missed++
			p.mu.Unlock()
			wait = st.heartbeat
		}
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-time.After(p.env.Clock.Real(wait)):
		}
	}
}

// sendSigned assigns the next sequence number and sends the message built
// for it, signed, in one step: the server refuses a number below one it
// has seen, so two goroutines must not reorder them.
func (p *peer) sendSigned(build func(seq uint64) *rendezvous.Msg) uint64 {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.mu.Lock()
	p.state.seq++
	seq, keys := p.state.seq, p.state.keys
	p.mu.Unlock()
	b, err := rendezvous.Sign(build(seq), keys.Auth)
	if err != nil {
		p.env.Log.Info("peer.send_error", "err", err.Error())
		return seq
	}
	p.write(b, p.srv)
	return seq
}

func (p *peer) send(m *rendezvous.Msg) {
	b, err := m.Marshal()
	if err != nil {
		p.env.Log.Info("peer.send_error", "err", err.Error())
		return
	}
	p.write(b, p.srv)
}

func (p *peer) write(b []byte, to netip.AddrPort) {
	if _, err := p.conn.WriteToUDPAddrPort(b, to); err != nil && !errors.Is(err, net.ErrClosed) {
		p.env.Log.Info("peer.send_error", "err", err.Error())
	}
}

// receive reads the socket: control messages from the server, sealed
// packets from peers.
func (p *peer) receive(ctx context.Context) {
	buf := make([]byte, rendezvous.MaxMessage+1)
	for {
		n, from, ok := devices.ReadUDP(ctx, p.conn, buf, p.env.Log, "peer.recv_error")
		if !ok {
			return
		}
		b := append([]byte(nil), buf[:n]...)
		if from == p.srv {
			p.control(ctx, b)
			continue
		}
		p.sealed(b, from)
	}
}

// control handles one message from the server.
func (p *peer) control(ctx context.Context, b []byte) {
	m, err := rendezvous.Parse(b)
	if err == nil && m.ID != p.id {
		err = fmt.Errorf("addressed to %q", m.ID)
	}
	if err != nil {
		p.env.Log.Info("peer.bad_message", "err", err.Error())
		return
	}
	switch m.Type {
	case rendezvous.TChallenge:
		keys := p.cache.Get(p.password, m.KDF) // Argon2id, once per parameters
		p.mu.Lock()
		p.state.candidate = keys
		p.mu.Unlock()
		reg, err := rendezvous.Sign(&rendezvous.Msg{Type: rendezvous.TRegister, ID: p.id, User: p.opts.User, Nonce: m.Nonce}, keys.Auth)
		if err == nil {
			p.write(reg, p.srv)
		}
	case rendezvous.TRegistered:
		p.mu.Lock()
		cand := p.state.candidate
		p.mu.Unlock()
		if !rendezvous.Verify(b, cand.Auth) {
			p.env.Log.Info("peer.bad_message", "err", "registered: MAC does not verify")
			return
		}
		p.mu.Lock()
		if p.state.registered {
			// The answer to a retransmitted register: the server started our
			// sequence again, and we are above it already.
			p.mu.Unlock()
			return
		}
		latency := p.env.Clock.Sim(time.Since(p.state.helloAt))
		p.state = regState{registered: true, keys: cand, candidate: cand, overlay: m.Overlay,
			heartbeat: time.Duration(m.Heartbeat) * time.Millisecond}
		p.mu.Unlock()
		p.env.Log.Info("peer.registered", "overlay", m.Overlay.String(), "public", m.Public.String(), "latency", latency)
		p.env.Log.Info("peer.registered_"+p.group(), "latency", latency)
		p.signal()
	case rendezvous.THeartbeatAck:
		p.mu.Lock()
		ok := rendezvous.Verify(b, p.state.keys.Auth)
		if ok {
			p.state.missed = 0
		}
		p.mu.Unlock()
		if !ok {
			p.env.Log.Info("peer.bad_message", "err", "heartbeat ack: MAC does not verify")
		}
	case rendezvous.TRefused:
		p.refused(m)
	case rendezvous.TOffer:
		p.offer(ctx, m, b)
	case rendezvous.TRelayGrant:
		p.mu.Lock()
		ch := p.pending[m.Seq]
		p.mu.Unlock()
		if ch == nil {
			p.env.Log.Info("peer.bad_message", "err", "relay grant for no request in flight")
			return
		}
		select {
		case ch <- reply{grant: &m, raw: b}:
		default:
		}
	case rendezvous.TRelayPeer:
		p.relayPeer(m, b)
	default:
		p.env.Log.Info("peer.bad_message", "err", "unexpected "+m.Type.String())
	}
}

// refused handles a refusal: of a connect (its caller is waiting), or of
// the registration. Refusals are not authenticated: they can only make the
// peer try again.
func (p *peer) refused(m rendezvous.Msg) {
	p.mu.Lock()
	ch := p.pending[m.Seq]
	p.mu.Unlock()
	if m.Seq != 0 && ch != nil {
		select {
		case ch <- reply{reason: m.Reason}:
		default:
		}
		return
	}
	p.env.Log.Info("peer.refused", "reason", m.Reason.String())
	p.env.Log.Info("peer.refused_"+p.group(), "reason", m.Reason.String())
	if m.Reason == rendezvous.NotRegistered {
		p.mu.Lock()
		p.state.registered, p.state.helloAt = false, time.Time{}
		p.mu.Unlock()
		p.signal()
	}
}
