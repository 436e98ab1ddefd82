package table

import (
	"math"
	"net/netip"
	"time"
)

// never is the expiry of a permanent (static, lifetime 0) mapping.
const never = time.Duration(math.MaxInt64)

// mapping is one live translation between an internal and an external
// endpoint, with the remotes its internal endpoint sent to (the filter) and,
// for TCP, one connection state per remote.
type mapping struct {
	proto    Proto
	internal netip.AddrPort
	external netip.AddrPort
	remote   netip.AddrPort // what the mapping depends on (ADM: addr:0, APDM: addr:port); zero for EIM
	wan      int            // index of external.Addr() in Table.wan

	static  bool
	permit  netip.Addr // static only: the one remote allowed in; invalid = any
	expires time.Duration
	gen     uint32
	dead    bool

	peers peerSet
}

// peer is one remote the internal endpoint sent to (or, through an endpoint
// independent filter, that reached it), with the TCP connection to it.
type peer struct {
	remote netip.AddrPort
	tcp    tcpConn
}

// peerSet is a small set of peers: a slice searched linearly, with maps added
// once it grows past peerIndexAt so a busy EIM mapping stays O(1).
type peerSet struct {
	list   []peer
	byAP   map[netip.AddrPort]int
	byAddr map[netip.Addr]int
}

const peerIndexAt = 16

func (s *peerSet) get(r netip.AddrPort) *peer {
	if s.byAP != nil {
		if i, ok := s.byAP[r]; ok {
			return &s.list[i]
		}
		return nil
	}
	for i := range s.list {
		if s.list[i].remote == r {
			return &s.list[i]
		}
	}
	return nil
}

func (s *peerSet) hasAddr(a netip.Addr) bool {
	if s.byAddr != nil {
		return s.byAddr[a] > 0
	}
	for i := range s.list {
		if s.list[i].remote.Addr() == a {
			return true
		}
	}
	return false
}

// add returns the peer for r, adding it if new.
func (s *peerSet) add(r netip.AddrPort) *peer {
	if p := s.get(r); p != nil {
		return p
	}
	s.list = append(s.list, peer{remote: r})
	i := len(s.list) - 1
	switch {
	case s.byAP != nil:
		s.byAP[r] = i
		s.byAddr[r.Addr()]++
	case len(s.list) > peerIndexAt:
		s.byAP = make(map[netip.AddrPort]int, len(s.list))
		s.byAddr = make(map[netip.Addr]int, len(s.list))
		for j, p := range s.list {
			s.byAP[p.remote] = j
			s.byAddr[p.remote.Addr()]++
		}
	}
	return &s.list[i]
}

// admits says whether a packet from r may come in through m (RFC 4787
// REQ-8). A static mapping is an explicit port forward: it ignores Filtering
// and admits its one permitted remote, or anyone.
func (m *mapping) admits(filtering Dependence, r netip.AddrPort) bool {
	if m.static {
		return !m.permit.IsValid() || m.permit == r.Addr()
	}
	if m.proto == ICMP && filtering == AddressPortDependent {
		filtering = AddressDependent // an echo identifier is not a port
	}
	switch filtering {
	case EndpointIndependent:
		return true
	case AddressDependent:
		return m.peers.hasAddr(r.Addr())
	default:
		return m.peers.get(r) != nil
	}
}

// liveConn returns the TCP connection to r if it exists and has not expired.
func (m *mapping) liveConn(r netip.AddrPort, now time.Duration) *tcpConn {
	p := m.peers.get(r)
	if p == nil || p.tcp.bits == 0 || p.tcp.expires <= now {
		return nil
	}
	return &p.tcp
}

// latestConn is the connection that holds the mapping longest, for the dump.
func (m *mapping) latestConn() *tcpConn {
	var best *tcpConn
	for i := range m.peers.list {
		c := &m.peers.list[i].tcp
		if c.bits != 0 && (best == nil || c.expires > best.expires) {
			best = c
		}
	}
	return best
}

// connsExpiry is the latest expiry of m's TCP connections.
func (m *mapping) connsExpiry() time.Duration {
	if c := m.latestConn(); c != nil {
		return c.expires
	}
	return 0
}
