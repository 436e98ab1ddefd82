package acs

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/nat/stun"
)

// ForgedCnonce starts the cnonce of every connection request the built-in
// attacker forges; an STB that accepts one logs stb.forged_accepted (a test
// oracle only: a real CPE cannot tell, it must refuse by signature).
const ForgedCnonce = "forged"

// attack plays one round of the built-in attacker (see Attacker).
func (s *Server) attack(ctx context.Context) {
	type target struct {
		id, user      string
		binding, last netip.AddrPort
		ka, cr        []byte
		crUser        string
		crURL, replay string // TCP connection requests: the URL, if the ACS uses it, and the last accepted Authorization
	}
	var ts []target
	s.mu.Lock()
	for _, id := range sortedDevices(s.devs) {
		d := s.devs[id]
		t := target{id: id, user: d.Params.STUNUsername, binding: d.Binding, last: d.lastCRBytes,
			ka: d.lastKA, cr: d.lastCR, crUser: d.Params.CRUsername}
		if s.useTCP(d) {
			t.crURL, t.replay = d.CRURL, d.lastTCPAuth
		}
		ts = append(ts, t)
	}
	now := s.now()
	s.mu.Unlock()
	for _, t := range ts {
		if t.crURL != "" {
			s.bg.Go(func() { s.attackTCP(ctx, t.id, t.crURL, t.crUser, t.replay) })
		}
	}
	evil, err := s.env.NS.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		s.env.Log.Info("acs.attack_error", "err", err.Error())
		return
	}
	defer evil.Close()
	stunAddr := netip.AddrPortFrom(s.env.Addr, uint16(s.Options.STUNPort))
	for _, t := range ts {
		// A keepalive under the device's name signed with a guessed password.
		m := &stun.Message{Dialect: stun.Classic, Type: stun.BindingRequest, TransactionID: stun.NewClassicTransactionID()}
		m.Add(stun.AttrUsername, []byte(t.user))
		m.Add(stun.AttrConnectionRequestBinding, []byte(stun.CRBValue))
		if b, err := stun.EncodeSigned(m, "guessed-password"); err == nil {
			evil.WriteToUDPAddrPort(b, stunAddr)
			s.env.Log.Info("acs.attack_sent", "kind", "forged-keepalive", "device", t.id)
		}
		// The device's last genuine keepalive, replayed from elsewhere: it
		// must not move the device's binding to the attacker.
		if t.ka != nil {
			evil.WriteToUDPAddrPort(t.ka, stunAddr)
			s.env.Log.Info("acs.attack_sent", "kind", "replayed-keepalive", "device", t.id)
		}
		if !t.binding.IsValid() {
			continue
		}
		wall := s.env.Clock.Start().Add(now)
		ts := uint64(wall.Unix()) + 3600 // a large ts: icwmp-style receivers would be blocked by it
		forged := annexg.NewCR(ts, "9"+strings.Repeat("0", 8), t.crUser, ForgedCnonce+randHex(4), "guessed-password", annexg.SenderVariant{})
		wrongUser := annexg.NewCR(ts, "9"+strings.Repeat("1", 8), "intruder", ForgedCnonce+randHex(4), "guessed-password", annexg.SenderVariant{})
		// The replay goes first: a receiver that records state before
		// authentication (icwmp) would otherwise be reset by its old ts.
		if t.cr != nil && t.last == t.binding {
			s.stunc.WriteToUDPAddrPort(t.cr, t.binding)
			s.env.Log.Info("acs.attack_sent", "kind", "replayed-cr", "device", t.id)
		}
		for _, a := range []struct {
			kind string
			b    []byte
		}{
			{"forged-cr", annexg.Build(t.binding, forged, annexg.SenderVariant{})},
			{"wrong-user-cr", annexg.Build(t.binding, wrongUser, annexg.SenderVariant{})},
		} {
			s.stunc.WriteToUDPAddrPort(a.b, t.binding)
			s.env.Log.Info("acs.attack_sent", "kind", a.kind, "device", t.id)
		}
	}
}
