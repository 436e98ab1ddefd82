package stb

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/boxlab/boxlab/devices/relay"
	"github.com/boxlab/boxlab/devices/rendezvous"
)

// relay is the fallback of a session whose punching failed: ask the server
// for TURN credentials, allocate a relayed address, tell the server (which
// tells the peer) until the session is up, and switch the session to the
// relay once the peer's relayed address is known too. The session keeps
// its key, sequence numbers and replay window: only the path changes.
func (p *peer) relay(ctx context.Context, s *session) {
	start := time.Now()
	ch := make(chan reply, 1)
	seq := p.sendSigned(func(seq uint64) *rendezvous.Msg {
		p.mu.Lock()
		p.pending[seq] = ch
		p.mu.Unlock()
		return &rendezvous.Msg{Type: rendezvous.TRelayReq, ID: p.id, Session: s.id, Seq: seq}
	})
	var r reply
	select {
	case <-ctx.Done():
	case <-s.done:
	case r = <-ch:
	case <-time.After(p.env.Clock.Real(2 * time.Second)):
	}
	p.mu.Lock()
	delete(p.pending, seq)
	wrap := p.state.keys.Wrap
	p.mu.Unlock()
	if ctx.Err() != nil || ended(s) || isUp(s) { // the direct path opened meanwhile: keep it
		return
	}
	if r.grant == nil {
		why := "no answer"
		if r.reason != 0 {
			why = r.reason.String()
		}
		p.env.Log.Info("peer.relay_refused", "peer", s.peerID, "reason", why)
		p.end(s, "punch timeout; relay: "+why)
		return
	}
	pw, err := rendezvous.OpenGrant(r.raw, wrap)
	if err != nil || r.grant.Session != s.id {
		p.env.Log.Info("peer.unwrap_failed", "session", s.id, "what", "relay grant")
		p.end(s, "punch timeout; relay grant does not unwrap")
		return
	}
	actx, cancel := context.WithCancel(ctx) // the allocation stops waiting when the session ends
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-actx.Done():
		}
	}()
	alloc, err := relay.Allocate(actx, relay.AllocateConfig{NS: p.env.NS, Server: r.grant.Public, Username: r.grant.User, Password: pw,
		Log: p.env.Log, LogEvent: "peer.turn_log"})
	if err != nil && (ctx.Err() != nil || ended(s)) {
		return
	}
	if err != nil {
		p.env.Log.Info("peer.relay_failed", "peer", s.peerID, "err", err.Error())
		p.end(s, "punch timeout; relay allocation failed")
		return
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		alloc.Close()
		return
	}
	s.alloc = alloc
	s.mu.Unlock()
	p.env.Log.Info("peer.relay_allocated", "peer", s.peerID, "relayed", alloc.Relayed.String(), "server", r.grant.Public.String(),
		"latency", p.env.Clock.Sim(time.Since(start)))
	go p.readRelay(ctx, s, alloc)
	p.switchToRelay(s)
	// Tell the peer through the server until the path is up: a lost
	// relay-addr would otherwise leave it without our relayed address.
	tick := p.env.Clock.NewTicker(time.Second)
	defer tick.Stop()
	for {
		p.sendSigned(func(seq uint64) *rendezvous.Msg {
			return &rendezvous.Msg{Type: rendezvous.TRelayAddr, ID: p.id, Session: s.id, Seq: seq, Public: alloc.Relayed}
		})
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-s.up:
			return
		case <-tick.C:
		}
	}
}

// relayPeer takes the peer's relayed address from the server.
func (p *peer) relayPeer(m rendezvous.Msg, b []byte) {
	p.mu.Lock()
	ok := rendezvous.Verify(b, p.state.keys.Auth)
	s := p.sessions[m.Session]
	p.mu.Unlock()
	switch {
	case !ok:
		p.env.Log.Info("peer.bad_message", "err", "relay peer: MAC does not verify")
		return
	case s == nil:
		p.env.Log.Info("peer.bad_message", "err", "relay peer for no live session")
		return
	}
	s.mu.Lock()
	known := s.peerRelay == m.Public
	s.peerRelay = m.Public
	s.mu.Unlock()
	if !known {
		p.env.Log.Info("peer.relay_peer", "peer", s.peerID, "relayed", m.Public.String())
	}
	p.switchToRelay(s)
}

// switchToRelay sends the session's packets through the relay once both
// the allocation and the peer's relayed address are there; the next punch
// goes at once.
func (p *peer) switchToRelay(s *session) {
	s.mu.Lock()
	if s.relayed || s.alloc == nil || !s.peerRelay.IsValid() || s.ended || s.isUp {
		s.mu.Unlock()
		return
	}
	s.relayed, s.remote = true, s.peerRelay
	heard := s.heard
	s.mu.Unlock()
	go p.seal(s, rendezvous.KindPunch, []byte{b2u(heard)}) // may wait for the TURN permission
}

// readRelay hands what arrives on the relayed address to the session layer.
func (p *peer) readRelay(ctx context.Context, s *session, a *relay.Allocation) {
	buf := make([]byte, rendezvous.MaxMessage+1)
	for {
		n, from, err := a.Conn.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && ctx.Err() == nil && !ended(s) {
				p.env.Log.Info("peer.recv_error", "err", err.Error(), "on", "relay")
			}
			return
		}
		ua, ok := from.(*net.UDPAddr)
		if !ok {
			continue
		}
		ap := ua.AddrPort()
		p.sealed(append([]byte(nil), buf[:n]...), netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
}

// isUp reports whether s's path is open.
func isUp(s *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isUp
}

// ended reports whether s has ended.
func ended(s *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}
