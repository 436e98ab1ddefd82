package table

import "time"

// Outbound translates a packet from the LAN: it finds or creates the sender's
// mapping and returns Forward with Out.Src the external endpoint. A packet to
// one of our own external endpoints is hairpinned (RFC 4787 REQ-9) when
// Behavior.Hairpin is set: Out is then the flow to deliver on the LAN, from
// the sender's external endpoint to the target mapping's internal endpoint.
func (t *Table) Outbound(now time.Duration, f Flow) Verdict {
	now = t.tick(now)
	if r := checkFlow(f); r != "" {
		return t.drop(r)
	}
	if t.wanIndex(f.Src.Addr()) >= 0 {
		return t.drop(ReasonWrongSide)
	}
	if t.wanIndex(f.Dst.Addr()) >= 0 {
		return t.hairpin(now, f)
	}
	m, r := t.outbound(now, f)
	if r != "" {
		return t.drop(r)
	}
	t.stats.Forwarded++
	return Verdict{Action: Forward, Out: m.outFlow(f)}
}

// outbound finds or creates the mapping for f and records the packet on it.
func (t *Table) outbound(now time.Duration, f Flow) (*mapping, string) {
	k := t.mappingKey(f.Proto, f.Src, f.Dst)
	remote := peerKey(f.Proto, f.Dst)
	m := t.lookupOut(now, f, k)
	if f.Proto == TCP {
		var c *tcpConn
		if m != nil {
			c = m.liveConn(remote, now)
		}
		if r := t.tcpVerdict(c, f.Flags, true, true); r != "" {
			return nil, r
		}
	}
	if m == nil {
		var r string
		if m, r = t.create(now, f, k); r != "" {
			return nil, r
		}
	}
	p := m.peers.add(remote)
	switch f.Proto {
	case TCP:
		t.touchTCP(now, m, p, f.Flags, true)
	case UDP:
		t.refresh(m, now+t.b.UDPTimeout) // RFC 4787 REQ-6: outbound always refreshes
	default:
		t.refresh(m, now+t.b.ICMPTimeout)
	}
	return m, ""
}

// lookupOut finds the live mapping an outbound flow uses. A static mapping of
// the internal endpoint wins (a device with a port forward is reachable at the
// same external port it sends from), except that a TCP connection already
// tracked on a dynamic mapping keeps it.
func (t *Table) lookupOut(now time.Duration, f Flow, k intKey) *mapping {
	if s := t.static[extKey{f.Proto, f.Src}]; t.alive(s, now) && (!s.permit.IsValid() || s.permit == f.Dst.Addr()) {
		if f.Proto == TCP {
			if m := t.byInternal[k]; t.alive(m, now) && m.liveConn(f.Dst, now) != nil {
				return m
			}
		}
		return s
	}
	m := t.byInternal[k]
	if !t.alive(m, now) {
		m = nil
	}
	if f.Proto == TCP && (m == nil || m.liveConn(f.Dst, now) == nil) {
		// A connection the remote opened through another mapping's filter
		// answers through that mapping.
		if in := t.inConns[connKey{f.Src, f.Dst}]; t.alive(in, now) && in.liveConn(f.Dst, now) != nil {
			return in
		}
	}
	return m
}

// refresh moves a dynamic mapping's expiry to at; a static mapping keeps its
// lease.
func (t *Table) refresh(m *mapping, at time.Duration) {
	if !m.static {
		t.setExpiry(m, at)
	}
}

// touchTCP records a TCP packet on the connection p of m and sets the
// timers: the connection's from its state (RFC 5382 REQ-5), the mapping's to
// the latest of its connections'.
func (t *Table) touchTCP(now time.Duration, m *mapping, p *peer, flags uint8, out bool) {
	c := &p.tcp
	if c.bits == 0 || c.expires <= now {
		*c = tcpConn{}
		switch {
		case flags&SYN != 0 && flags&ACK != 0:
			c.bits = synOut | synIn // MapSynAck: the other side's SYN never passed us
		case out && flags&(SYN|FIN|RST) == 0:
			c.bits = synOut | synIn | established // loose pick-up, as Linux conntrack
		}
	}
	old := c.expires
	c.update(flags, out)
	if c.isEstablished() {
		c.expires = now + t.b.TCPEstablished
	} else {
		c.expires = now + t.b.TCPTransitory
	}
	if m.static {
		return
	}
	switch {
	case c.expires >= m.expires:
		t.setExpiry(m, c.expires)
	case old >= m.expires:
		t.setExpiry(m, m.connsExpiry())
	}
}

// outFlow is f as it leaves on the WAN through m.
func (m *mapping) outFlow(f Flow) Flow {
	out := Flow{Proto: f.Proto, Src: m.external, Dst: f.Dst, Flags: f.Flags}
	if f.Proto == ICMP {
		out.Dst = withPort(f.Dst, m.external.Port())
	}
	return out
}

// hairpin sends f, addressed to one of our external endpoints, back to the
// LAN: out through the sender's mapping, in through the target's.
func (t *Table) hairpin(now time.Duration, f Flow) Verdict {
	if !t.b.Hairpin {
		return t.drop(ReasonHairpinOff)
	}
	if f.Proto == ICMP {
		return t.drop(ReasonICMPToSelf)
	}
	m, r := t.outbound(now, f)
	if r != "" {
		return t.drop(r)
	}
	in, r := t.inbound(now, m.outFlow(f))
	if r != "" {
		return t.drop(r)
	}
	t.stats.Hairpinned++
	return Verdict{Action: Hairpin, Out: in}
}
