package table

import "time"

// Drop reason for an ICMP error from the LAN addressed to our own WAN address.
const ReasonICMPErrorHairpin = "icmp-error-hairpin"

// InboundICMPError translates an ICMP error from the WAN (RFC 5508 REQ-3,
// REQ-4). outer is the error packet itself (Proto ICMP; ports are ignored and
// kept); inner is the packet it quotes, as it left us (Src = our external
// endpoint). The verdict's Out is outer with Dst the internal host; the flow
// returned is inner with Src the internal endpoint. The error is not filtered
// by its own source (a router on the path may send it), but the quoted packet
// must be one the mapping could have sent: its Dst must pass the mapping's
// filter. Errors do not refresh the mapping.
func (t *Table) InboundICMPError(now time.Duration, outer, inner Flow) (Verdict, Flow) {
	now = t.tick(now)
	if r := checkError(outer, inner); r != "" {
		return t.drop(r), Flow{}
	}
	if t.wanIndex(outer.Dst.Addr()) < 0 {
		return t.drop(ReasonNotOurs), Flow{}
	}
	if t.wanIndex(outer.Src.Addr()) >= 0 {
		return t.drop(ReasonWrongSide), Flow{}
	}
	if inner.Src.Addr() != outer.Dst.Addr() {
		return t.drop(ReasonICMPErrorBadIn), Flow{}
	}
	m := t.byExternal[extKey{inner.Proto, inner.Src}]
	if !t.alive(m, now) {
		return t.drop(ReasonNoMapping), Flow{}
	}
	if !m.admits(t.b.Filtering, peerKey(inner.Proto, inner.Dst)) {
		return t.drop(ReasonFiltered), Flow{}
	}
	in := inner
	in.Src = m.internal
	if inner.Proto == ICMP {
		in.Dst = withPort(inner.Dst, m.internal.Port())
	}
	out := outer
	out.Dst = withPort(m.internal, outer.Dst.Port())
	t.stats.Forwarded++
	return Verdict{Action: Forward, Out: out}, in
}

// OutboundICMPError translates an ICMP error a LAN host sends about a packet
// it received through us (RFC 5508 REQ-5). outer is the error
// (Src = the internal host); inner is the quoted packet as the host received
// it (Dst = the internal endpoint). The verdict's Out is outer with Src our
// external address; the flow returned is inner with Dst the external
// endpoint. Errors neither create nor refresh a mapping.
func (t *Table) OutboundICMPError(now time.Duration, outer, inner Flow) (Verdict, Flow) {
	now = t.tick(now)
	if r := checkError(outer, inner); r != "" {
		return t.drop(r), Flow{}
	}
	if t.wanIndex(outer.Src.Addr()) >= 0 {
		return t.drop(ReasonWrongSide), Flow{}
	}
	if t.wanIndex(outer.Dst.Addr()) >= 0 {
		return t.drop(ReasonICMPErrorHairpin), Flow{}
	}
	if inner.Dst.Addr() != outer.Src.Addr() {
		return t.drop(ReasonICMPErrorBadIn), Flow{}
	}
	sent := Flow{Proto: inner.Proto, Src: inner.Dst, Dst: inner.Src}
	m := t.lookupOut(now, sent, t.mappingKey(sent.Proto, sent.Src, sent.Dst))
	if m == nil {
		return t.drop(ReasonNoMapping), Flow{}
	}
	in := inner
	in.Dst = m.external
	if inner.Proto == ICMP {
		in.Src = withPort(inner.Src, m.external.Port())
	}
	out := outer
	out.Src = withPort(m.external, outer.Src.Port())
	t.stats.Forwarded++
	return Verdict{Action: Forward, Out: out}, in
}

// checkError checks the two flows of an ICMP error.
func checkError(outer, inner Flow) string {
	if outer.Proto != ICMP {
		return ReasonBadProto
	}
	if !unicast4(outer.Src.Addr()) || !unicast4(outer.Dst.Addr()) {
		return ReasonBadAddr
	}
	inner.Flags = 0 // the quoted header's flags do not matter
	return checkFlow(inner)
}
