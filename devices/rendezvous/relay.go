package rendezvous

import (
	"crypto/rand"
	"net/netip"
	"time"

	"github.com/boxlab/boxlab/devices/relay"
)

// relaySession is what the server remembers of a session after its offers:
// who may ask for a relay for it and whom to tell a relayed address.
type relaySession struct {
	caller, target string
	at             time.Duration
}

// relayWindow is how long after its offers a session may fall back to the
// relay.
const relayWindow = 60 * time.Second

// member returns the other side of session id for device, false when
// device is not part of it (or the session is unknown or too old).
func (s *Server) member(session uint64, device string) (string, bool) {
	s.mu.Lock()
	rs, ok := s.sessions[session]
	s.mu.Unlock()
	switch {
	case !ok:
		return "", false
	case rs.caller == device:
		return rs.target, true
	case rs.target == device:
		return rs.caller, true
	}
	return "", false
}

// relayRequest answers a device whose punching failed with TURN REST
// credentials for the relay, valid for relay.ttl, the password wrapped
// under the device's key.
func (s *Server) relayRequest(e *Entry, keys DeviceKeys, m Msg, from netip.AddrPort, now time.Duration) {
	if !s.touch(e, m, from, now) {
		return
	}
	r := s.Options.Relay
	var at netip.Addr
	ok := r.Server != ""
	if ok {
		at, ok = s.env.Server(r.Server)
	}
	if !ok {
		s.env.Log.Info("rendezvous.relay_refused", "id", e.ID, "session", m.Session, "reason", NoRelay.String())
		s.refuse(NoRelay, m, from)
		return
	}
	if _, ok := s.member(m.Session, e.ID); !ok {
		s.env.Log.Info("rendezvous.relay_refused", "id", e.ID, "session", m.Session, "reason", UnknownSession.String())
		s.refuse(UnknownSession, m, from)
		return
	}
	c := relay.Issue(r.Secret, e.ID, time.Now().Add(time.Duration(r.TTL))) // wall clock: the relay checks it so
	b, err := SealGrant(&Msg{ID: e.ID, Session: m.Session, Seq: m.Seq, Public: netip.AddrPortFrom(at, uint16(r.Port)), User: c.Username},
		keys.Wrap, [TURNDigestLen]byte(relay.Digest(r.Secret, c.Username)), rand.Reader)
	if err != nil {
		s.env.Log.Info("rendezvous.send_error", "err", err.Error())
		return
	}
	s.env.Log.Info("rendezvous.relay_granted", "id", e.ID, "session", m.Session, "user", c.Username)
	s.write(b, from)
}

// relayAddr passes a device's relayed address on to the other side of its
// session, authenticated under that side's key.
func (s *Server) relayAddr(e *Entry, m Msg, from netip.AddrPort, now time.Duration) {
	if !s.touch(e, m, from, now) {
		return
	}
	other, ok := s.member(m.Session, e.ID)
	if !ok {
		s.env.Log.Info("rendezvous.relay_refused", "id", e.ID, "session", m.Session, "reason", UnknownSession.String())
		s.refuse(UnknownSession, m, from)
		return
	}
	s.mu.Lock()
	t, known := s.reg.Lookup(other)
	registered := known && t.Registered
	var to netip.AddrPort
	if registered {
		to = t.Public
	}
	s.mu.Unlock()
	if !registered {
		s.env.Log.Info("rendezvous.relay_refused", "id", e.ID, "session", m.Session, "reason", TargetOffline.String())
		s.refuse(TargetOffline, m, from)
		return
	}
	s.env.Log.Info("rendezvous.relay_addr", "id", e.ID, "to", other, "relayed", m.Public.String())
	s.sign(&Msg{Type: TRelayPeer, ID: other, Session: m.Session, Public: m.Public}, s.reg.Keys(t), to)
}
