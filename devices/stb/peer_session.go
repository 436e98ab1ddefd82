package stb

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices/relay"
	"github.com/boxlab/boxlab/devices/rendezvous"
)

// session is one keyed path to another device.
type session struct {
	id       uint64
	peerID   string
	caller   bool
	sendKey  [32]byte
	recvKey  [32]byte
	up       chan struct{} // closed when the path is open both ways
	done     chan struct{} // closed when the session ends (failed, dead or replaced)
	previous *staleKey     // the last session with the same peer, for forge

	mu        sync.Mutex
	remote    netip.AddrPort
	seq       uint64
	win       rendezvous.Window
	heard     bool // an authenticated packet arrived
	isUp      bool
	gotPing   bool // callee: the caller is up, punching can stop
	lastRecv  time.Time
	lastSent  []byte
	pings     int
	forged    bool
	ended     bool
	endReason string
	alloc     *relay.Allocation // the relay fallback's allocation, once made
	peerRelay netip.AddrPort    // the peer's relayed address, once told
	relayed   bool              // packets go through alloc to peerRelay
}

// slot names the one live session a peer keeps per other device and
// direction: two devices that call each other hold two sessions.
func (s *session) slot() string {
	if s.caller {
		return "to " + s.peerID
	}
	return "from " + s.peerID
}

// staleKey is what remains of an ended session: enough to seal with its
// key, which must no longer open anything.
type staleKey struct {
	id  uint64
	key [32]byte
	seq uint64
}

// offer takes the server's offer: unwrap the key, make the session, start
// punching.
func (p *peer) offer(ctx context.Context, m rendezvous.Msg, b []byte) {
	p.mu.Lock()
	wrap, registered := p.state.keys.Wrap, p.state.registered
	p.mu.Unlock()
	if !registered {
		p.env.Log.Info("peer.bad_message", "err", "offer while not registered")
		return
	}
	key, err := rendezvous.OpenOffer(b, wrap)
	if err != nil {
		p.env.Log.Info("peer.unwrap_failed", "session", m.Session)
		return
	}
	tk := rendezvous.DeriveTrafficKeys(key, m.Session)
	s := &session{id: m.Session, peerID: m.Target, caller: m.Caller, remote: m.Public,
		up: make(chan struct{}), done: make(chan struct{}), lastRecv: time.Now()}
	s.sendKey, s.recvKey = tk.CalleeToCaller, tk.CallerToCallee
	if m.Caller {
		s.sendKey, s.recvKey = tk.CallerToCallee, tk.CalleeToCaller
	}
	p.mu.Lock()
	if p.seen[m.Session] {
		p.mu.Unlock()
		p.env.Log.Info("peer.offer_replayed", "session", m.Session)
		return
	}
	var ch chan reply
	if m.Caller {
		if ch = p.pending[m.Seq]; ch == nil {
			p.mu.Unlock()
			p.env.Log.Info("peer.bad_message", "err", "offer for no request in flight")
			return
		}
	}
	p.seen[m.Session] = true
	old := p.byPeer[s.slot()]
	if prev, ok := p.lastKey[s.slot()]; ok {
		s.previous = &prev
	}
	p.sessions[s.id], p.byPeer[s.slot()] = s, s
	p.mu.Unlock()
	if old != nil {
		p.end(old, "replaced")
	}
	if old != nil || s.previous != nil {
		p.env.Log.Info("peer.rekeyed", "peer", m.Target, "session", s.id)
	}
	role := "callee"
	if m.Caller {
		role = "caller"
	}
	p.env.Log.Info("peer.offer", "peer", m.Target, "role", role, "endpoint", m.Public.String(), "overlay", m.Overlay.String())
	p.env.Log.Info("peer.offer_" + p.group())
	if ch != nil {
		ch <- reply{s: s}
	}
	go p.drive(ctx, s)
}

// end closes a session once; its id stays known as stale.
func (p *peer) end(s *session, reason string) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended, s.endReason = true, reason
	last := staleKey{id: s.id, key: s.sendKey, seq: s.seq}
	alloc := s.alloc
	s.mu.Unlock()
	// Record the key before anyone learns the session ended: the caller
	// asks again at once, and the next session must find this one's key
	// (forge tries it, and it must be refused).
	p.mu.Lock()
	p.lastKey[s.slot()] = last
	delete(p.sessions, s.id)
	p.closed[s.id] = true
	if p.byPeer[s.slot()] == s {
		delete(p.byPeer, s.slot())
	}
	p.mu.Unlock()
	close(s.done)
	if alloc != nil {
		alloc.Close()
	}
}

// drive punches until the path is open, then pings (caller) and watches
// for silence.
func (p *peer) drive(ctx context.Context, s *session) {
	o := p.opts
	tick := p.env.Clock.NewTicker(time.Duration(o.PunchInterval))
	defer tick.Stop()
	started := time.Now()
	lastPing := started.Add(-p.env.Clock.Real(time.Duration(o.Interval))) // the first ping goes at once
	// The caller punches first and tells the server it is ready one punch
	// interval later (time for its gateway to resolve the peer's gateway
	// and send the punch on); the server sends the callee its offer only
	// then, so nothing from the callee reaches the caller's gateway before
	// the caller has opened its own mapping.
	p.seal(s, rendezvous.KindPunch, []byte{0})
	ready := !s.caller
	relaying := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-tick.C:
		}
		if !ready {
			ready = true
			p.sendSigned(func(seq uint64) *rendezvous.Msg {
				return &rendezvous.Msg{Type: rendezvous.TReady, ID: p.id, Session: s.id, Seq: seq}
			})
		}
		s.mu.Lock()
		up, heard, gotPing := s.isUp, s.heard, s.gotPing
		silent := p.env.Clock.Sim(time.Since(s.lastRecv))
		s.mu.Unlock()
		elapsed := p.env.Clock.Sim(time.Since(started))
		switch {
		case !up && elapsed > time.Duration(o.PunchTimeout) && !o.Relay:
			p.end(s, "punch timeout")
			return
		case !up && elapsed > time.Duration(o.PunchTimeout+o.RelayTimeout):
			p.end(s, "punch timeout; relay timeout")
			return
		case !up && elapsed > time.Duration(o.PunchTimeout) && !relaying:
			relaying = true
			p.env.Log.Info("peer.punch_failed", "peer", s.peerID)
			p.env.Log.Info("peer.punch_failed_" + p.pair(s))
			go p.relay(ctx, s)
			p.seal(s, rendezvous.KindPunch, []byte{b2u(heard)})
		case up && silent > time.Duration(o.DeadAfter):
			p.end(s, "silence")
			return
		case !up || (!s.caller && !gotPing):
			p.seal(s, rendezvous.KindPunch, []byte{b2u(heard)})
		}
		if up && s.caller && p.env.Clock.Sim(time.Since(lastPing)) >= time.Duration(o.Interval) {
			lastPing = time.Now()
			p.seal(s, rendezvous.KindPing, binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano())))
			if o.Forge {
				p.forge(s)
			}
		}
	}
}

// pathOf is how s's packets travel: direct or relayed.
func pathOf(s *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.relayed {
		return "relayed"
	}
	return "direct"
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// seal sends one sealed packet on s.
func (p *peer) seal(s *session, k rendezvous.Kind, body []byte) {
	s.mu.Lock()
	s.seq++
	b, err := rendezvous.Seal(s.sendKey, rendezvous.Sealed{Session: s.id, Seq: s.seq, Kind: k, Body: body})
	to := s.remote
	if err == nil {
		s.lastSent = b
		if k == rendezvous.KindPing {
			s.pings++
		}
	}
	s.mu.Unlock()
	if err != nil {
		p.env.Log.Info("peer.send_error", "err", err.Error())
		return
	}
	p.sendOn(s, b, to)
}

// sendOn sends b to on s's path: through the relay once the session
// switched to it, else from the peer's socket.
func (p *peer) sendOn(s *session, b []byte, to netip.AddrPort) {
	s.mu.Lock()
	alloc := s.alloc
	if !s.relayed {
		alloc = nil
	}
	s.mu.Unlock()
	if alloc == nil {
		p.write(b, to)
		return
	}
	if _, err := alloc.Conn.WriteTo(b, net.UDPAddrFromAddrPort(to)); err != nil && !errors.Is(err, net.ErrClosed) && !ended(s) {
		p.env.Log.Info("peer.send_error", "err", err.Error(), "on", "relay")
	}
}

// pair is the session's caller group and callee group, e.g. sym_tosym.
func (p *peer) pair(s *session) string {
	if s.caller {
		return p.group() + "_" + rendezvous.Group(s.peerID)
	}
	return rendezvous.Group(s.peerID) + "_" + p.group()
}

// sealed handles a packet from a peer: header, session, replay window,
// authentication, then the plaintext.
func (p *peer) sealed(b []byte, from netip.AddrPort) {
	sid, seq, err := rendezvous.ParseSealed(b)
	if err != nil {
		p.env.Log.Info("peer.bad_packet", "from", from.String(), "err", err.Error())
		return
	}
	p.mu.Lock()
	s, stale := p.sessions[sid], p.closed[sid]
	p.mu.Unlock()
	switch {
	case s == nil && stale:
		p.env.Log.Info("peer.stale_refused", "from", from.String())
		return
	case s == nil:
		p.env.Log.Info("peer.unknown_session", "from", from.String())
		return
	}
	s.mu.Lock()
	verdict := s.win.Check(seq)
	s.mu.Unlock()
	if verdict != rendezvous.Fresh {
		p.env.Log.Info("peer.replay_refused", "from", from.String(), "verdict", verdict.String())
		return
	}
	pkt, err := rendezvous.Open(s.recvKey, b)
	if err != nil {
		if errors.Is(err, rendezvous.ErrForged) {
			p.env.Log.Info("peer.forged_refused", "from", from.String())
		} else {
			p.env.Log.Info("peer.bad_packet", "from", from.String(), "err", err.Error())
		}
		return
	}
	s.mu.Lock()
	if s.win.Accept(seq) != rendezvous.Fresh { // raced with a copy
		s.mu.Unlock()
		p.env.Log.Info("peer.replay_refused", "from", from.String(), "verdict", "replay")
		return
	}
	moved := s.remote != from
	s.remote, s.heard, s.lastRecv = from, true, time.Now()
	wasUp := s.isUp
	switch pkt.Kind {
	case rendezvous.KindPunch:
		s.isUp = s.isUp || pkt.Body[0] == 1
	case rendezvous.KindPing:
		s.isUp, s.gotPing = true, true
	case rendezvous.KindPong:
		s.isUp = true
	}
	nowUp := s.isUp && !wasUp
	s.mu.Unlock()
	if moved {
		p.env.Log.Info("peer.peer_moved", "peer", s.peerID, "endpoint", from.String())
	}
	if nowUp {
		close(s.up)
		if !s.caller {
			p.env.Log.Info("peer.accepted", "peer", s.peerID, "path", pathOf(s))
		}
	}
	switch pkt.Kind {
	case rendezvous.KindPunch:
		if pkt.Body[0] == 0 { // it has not heard us yet: answer at once
			p.seal(s, rendezvous.KindPunch, []byte{1})
		}
	case rendezvous.KindPing:
		p.seal(s, rendezvous.KindPong, pkt.Body[:8])
	case rendezvous.KindPong:
		sent := time.Unix(0, int64(binary.BigEndian.Uint64(pkt.Body)))
		p.env.Log.Info("peer.pong", "peer", s.peerID, "rtt", p.env.Clock.Sim(time.Since(sent)))
	}
}

// forge tries, once per session after two pings, what an attacker on the
// path would: the last packet again (replay), the last packet with a new
// sequence number (altered header), and when this session replaced an
// older one, packets under the old key with the old and the new session id.
func (p *peer) forge(s *session) {
	s.mu.Lock()
	if s.forged || s.pings < 2 || s.lastSent == nil {
		s.mu.Unlock()
		return
	}
	s.forged = true
	last := append([]byte(nil), s.lastSent...)
	to, seq := s.remote, s.seq
	s.mu.Unlock()
	p.sendOn(s, last, to)
	p.env.Log.Info("peer.forge_sent", "kind", "replay")
	altered := append([]byte(nil), last...)
	binary.BigEndian.PutUint64(altered[12:], seq+1) // a fresh number the tag does not cover
	p.sendOn(s, altered, to)
	p.env.Log.Info("peer.forge_sent", "kind", "altered")
	if old := s.previous; old != nil {
		oldKey, oldSeq := old.key, old.seq
		stamp := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
		if b, err := rendezvous.Seal(oldKey, rendezvous.Sealed{Session: old.id, Seq: oldSeq + 1, Kind: rendezvous.KindPing, Body: stamp}); err == nil {
			p.sendOn(s, b, to)
			p.env.Log.Info("peer.forge_sent", "kind", "stale-session")
		}
		if b, err := rendezvous.Seal(oldKey, rendezvous.Sealed{Session: s.id, Seq: seq + 1000, Kind: rendezvous.KindPing, Body: stamp}); err == nil {
			p.sendOn(s, b, to)
			p.env.Log.Info("peer.forge_sent", "kind", "stale-key")
		}
	}
}
