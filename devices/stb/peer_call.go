package stb

import (
	"context"
	"time"

	"github.com/boxlab/boxlab/devices/rendezvous"
)

// call holds a session with target for the whole run: ask the server, wait
// for the offer, punch, talk until the link goes silent, ask again (seed 001
// step 6: a new request, a new key).
func (p *peer) call(ctx context.Context, target string) {
	pair := p.group() + "_" + rendezvous.Group(target)
	retry := time.Duration(p.opts.Retry)
	for ctx.Err() == nil {
		if !p.waitRegistered(ctx) {
			return
		}
		ch := make(chan reply, 1)
		start := time.Now()
		seq := p.sendSigned(func(seq uint64) *rendezvous.Msg {
			p.mu.Lock()
			p.pending[seq] = ch
			p.mu.Unlock()
			return &rendezvous.Msg{Type: rendezvous.TConnect, ID: p.id, Target: target, Seq: seq}
		})
		p.env.Log.Info("peer.request", "target", target)
		var r reply
		select {
		case <-ctx.Done():
			return
		case r = <-ch:
		case <-time.After(p.env.Clock.Real(2 * time.Second)):
			r.reason = 0
		}
		p.mu.Lock()
		delete(p.pending, seq)
		p.mu.Unlock()
		switch {
		case r.s == nil && r.reason == 0:
			p.env.Log.Info("peer.request_timeout", "target", target)
			continue
		case r.s == nil && r.reason == rendezvous.TargetOffline:
			p.env.Log.Info("peer.target_offline", "target", target)
			p.env.Log.Info("peer.target_offline_" + pair)
		case r.s == nil:
			p.env.Log.Info("peer.connect_refused", "target", target, "reason", r.reason.String())
		default:
			if p.hold(ctx, r.s, target, pair, start) {
				continue // the link broke: ask again at once
			}
		}
		if p.env.Clock.Sleep(ctx, retry) != nil {
			return
		}
	}
}

// hold waits for the session to open, then for it to end; it reports
// whether the session was up (so the caller asks again at once).
func (p *peer) hold(ctx context.Context, s *session, target, pair string, start time.Time) bool {
	select {
	case <-ctx.Done():
		return false
	case <-s.done:
		s.mu.Lock()
		reason := s.endReason
		s.mu.Unlock()
		p.env.Log.Info("peer.session_failed", "target", target, "reason", reason)
		p.env.Log.Info("peer.session_failed_" + pair)
		return false
	case <-s.up:
	}
	latency := p.env.Clock.Sim(time.Since(start))
	s.mu.Lock()
	remote := s.remote
	s.mu.Unlock()
	path := pathOf(s)
	p.env.Log.Info("peer.session_up", "target", target, "endpoint", remote.String(), "path", path, "latency", latency)
	p.env.Log.Info("peer.session_up_"+pair, "latency", latency)
	p.env.Log.Info("peer.session_"+path+"_"+pair, "latency", latency)
	select {
	case <-ctx.Done():
		return false
	case <-s.done:
	}
	p.env.Log.Info("peer.link_lost", "target", target)
	return true
}

// waitRegistered returns once the peer holds a registration (or at once for
// an impostor with connect_anyway), false when ctx ends.
func (p *peer) waitRegistered(ctx context.Context) bool {
	for {
		p.mu.Lock()
		ok := p.state.registered
		p.mu.Unlock()
		if ok || p.opts.ConnectAnyway {
			return true
		}
		if p.env.Clock.Sleep(ctx, 200*time.Millisecond) != nil {
			return false
		}
	}
}
