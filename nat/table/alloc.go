package table

import (
	"net/netip"
	"time"
)

// randomProbes is how many random ports Random assignment tries before a
// cursor scan from a random start: the cost stays bounded however full.
const randomProbes = 8

// create makes a dynamic mapping for the flow f going out, or says why not.
func (t *Table) create(now time.Duration, f Flow, k intKey) (*mapping, string) {
	host := f.Src.Addr()
	if t.b.MaxPerHost > 0 && t.perHost[host] >= t.b.MaxPerHost {
		if t.Expire(now); t.perHost[host] >= t.b.MaxPerHost {
			return nil, ReasonLimitPerHost
		}
	}
	if t.b.MaxTotal > 0 && t.dynamic >= t.b.MaxTotal {
		if t.Expire(now); t.dynamic >= t.b.MaxTotal {
			return nil, ReasonLimitTotal
		}
	}
	wan, port, ok := t.allocate(f.Proto, f.Src)
	if !ok && t.Expire(now) > 0 {
		wan, port, ok = t.allocate(f.Proto, f.Src)
	}
	if !ok {
		return nil, ReasonPortExhausted
	}
	m := &mapping{
		proto:    f.Proto,
		internal: f.Src,
		external: netip.AddrPortFrom(t.wan[wan], port),
		remote:   k.remote,
		wan:      wan,
		expires:  now + t.idle(f.Proto),
	}
	t.insert(m)
	return m, ""
}

// idle is the first timeout of a new mapping of proto.
func (t *Table) idle(p Proto) time.Duration {
	switch p {
	case UDP:
		return t.b.UDPTimeout
	case TCP:
		return t.b.TCPTransitory
	default:
		return t.b.ICMPTimeout
	}
}

// portRange is the dynamic range of proto: ICMP identifiers use the whole
// 16-bit space, TCP and UDP Behavior.PortMin..PortMax.
func (t *Table) portRange(p Proto) (lo, hi uint16) {
	if p == ICMP {
		return 0, 65535
	}
	return t.b.PortMin, t.b.PortMax
}

// candidates lists the WAN addresses a new mapping for host may use, in
// order (RFC 4787 REQ-2): Paired gives one, stable per internal address;
// Arbitrary rotates over all of them.
func (t *Table) candidates(host netip.Addr) []int {
	n := len(t.wan)
	if n == 1 {
		return []int{0}
	}
	if t.b.Pooling == Paired {
		i, ok := t.paired[host]
		if !ok {
			i = t.nextWAN
			t.nextWAN = (t.nextWAN + 1) % n
			t.paired[host] = i
		}
		return []int{i}
	}
	out := make([]int, n)
	for j := range out {
		out[j] = (t.nextWAN + j) % n
	}
	t.nextWAN = (t.nextWAN + 1) % n
	return out
}

// allocate picks a free external address and port for internal.
func (t *Table) allocate(p Proto, internal netip.AddrPort) (int, uint16, bool) {
	lo, hi := t.portRange(p)
	parity := anyParity
	if t.b.Parity {
		parity = int(internal.Port() & 1)
	}
	cands := t.candidates(internal.Addr())
	if t.b.Ports == Preserve {
		// The internal port on any candidate address first (REQ-3 allows a
		// preserving NAT to pick the address that has it free).
		want := internal.Port()
		for _, i := range cands {
			if want >= lo && want <= hi && !t.space(i, p).has(want) {
				return i, want, true
			}
		}
	}
	for _, i := range cands {
		if port, ok := t.pick(t.space(i, p), lo, hi, internal.Port(), parity); ok {
			return i, port, true
		}
	}
	return 0, 0, false
}

// pick finds a free port in s per Behavior.Ports, the internal port failing.
func (t *Table) pick(s *portSpace, lo, hi, internal uint16, parity int) (uint16, bool) {
	switch t.b.Ports {
	case Preserve:
		return s.find(lo, hi, internal, parity) // as Sequential from the internal port
	case Random:
		span := int(hi) - int(lo) + 1
		for range randomProbes {
			q := int(lo) + t.rng.IntN(span)
			if parity != anyParity {
				q = q&^1 | parity
			}
			if q >= int(lo) && q <= int(hi) && !s.has(uint16(q)) {
				return uint16(q), true
			}
		}
		return s.find(lo, hi, uint16(int(lo)+t.rng.IntN(span)), parity)
	default:
		port, ok := s.find(lo, hi, s.cursor, parity)
		if ok {
			s.cursor = port + 1
		}
		return port, ok
	}
}
