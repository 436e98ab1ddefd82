package table

import (
	"net/netip"
	"time"
)

// Inbound translates a packet from the WAN: it finds the mapping of the
// destination external endpoint, applies its filter (RFC 4787 REQ-8) and the
// TCP rules (RFC 5382), and returns Forward with Out.Dst the internal
// endpoint.
func (t *Table) Inbound(now time.Duration, f Flow) Verdict {
	now = t.tick(now)
	if r := checkFlow(f); r != "" {
		return t.drop(r)
	}
	if t.wanIndex(f.Dst.Addr()) < 0 {
		return t.drop(ReasonNotOurs)
	}
	if t.wanIndex(f.Src.Addr()) >= 0 {
		return t.drop(ReasonWrongSide)
	}
	out, r := t.inbound(now, f)
	if r != "" {
		return t.drop(r)
	}
	t.stats.Forwarded++
	return Verdict{Action: Forward, Out: out}
}

// inbound does the work of Inbound for a checked flow (also hairpinned ones).
func (t *Table) inbound(now time.Duration, f Flow) (Flow, string) {
	m := t.byExternal[extKey{f.Proto, f.Dst}]
	if !t.alive(m, now) {
		return Flow{}, ReasonNoMapping
	}
	remote := peerKey(f.Proto, f.Src)
	admitted := m.admits(t.b.Filtering, remote)
	switch f.Proto {
	case TCP:
		if r := t.tcpVerdict(m.liveConn(remote, now), f.Flags, false, admitted); r != "" {
			return Flow{}, r
		}
		t.touchTCP(now, m, m.peers.add(remote), f.Flags, false)
		t.noteInConn(m, remote)
	case UDP:
		if !admitted {
			return Flow{}, ReasonFiltered
		}
		if t.b.InboundRefresh {
			t.refresh(m, now+t.b.UDPTimeout) // RFC 4787 REQ-6
		}
	default:
		if !admitted {
			return Flow{}, ReasonFiltered
		}
		if t.b.InboundRefresh {
			t.refresh(m, now+t.b.ICMPTimeout)
		}
	}
	out := Flow{Proto: f.Proto, Src: f.Src, Dst: m.internal, Flags: f.Flags}
	if f.Proto == ICMP {
		out.Src = withPort(f.Src, m.internal.Port())
	}
	return out, ""
}

// noteInConn remembers that the TCP connection from remote came in on m
// when m's mapping key does not cover remote (an address- or
// port-dependent mapping whose filter admitted another remote), so that the
// inside's answers leave through m, not through a new mapping (RFC 5382
// REQ-2: connections initiated externally work when the NAT permits them).
func (t *Table) noteInConn(m *mapping, remote netip.AddrPort) {
	if m.static || t.b.Mapping == EndpointIndependent || t.mappingKey(TCP, m.internal, remote).remote == m.remote {
		return
	}
	t.inConns[connKey{m.internal, remote}] = m
}

// forgetInConns drops the inConns entries of a removed mapping.
func (t *Table) forgetInConns(m *mapping) {
	if m.proto != TCP || t.b.Mapping == EndpointIndependent {
		return
	}
	for i := range m.peers.list {
		k := connKey{m.internal, m.peers.list[i].remote}
		if t.inConns[k] == m {
			delete(t.inConns, k)
		}
	}
}
