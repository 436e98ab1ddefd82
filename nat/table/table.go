package table

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Drop reasons, as they appear in Verdict.Reason and Stats.Dropped.
const (
	ReasonBadProto       = "bad-proto"          // not ICMP, TCP or UDP
	ReasonBadAddr        = "bad-addr"           // not a unicast IPv4 address
	ReasonBadPort        = "bad-port"           // TCP or UDP port 0
	ReasonBadFlags       = "bad-flags"          // SYN with RST or FIN
	ReasonWrongSide      = "wrong-side"         // outbound from, or inbound from, one of our WAN addresses
	ReasonNotOurs        = "not-ours"           // inbound to an address that is not ours
	ReasonNoMapping      = "no-mapping"         // inbound (or an ICMP error) for no live mapping
	ReasonFiltered       = "filtered"           // the mapping's filter refuses the remote (RFC 4787 REQ-8)
	ReasonPortExhausted  = "port-exhausted"     // no free external port
	ReasonLimitPerHost   = "limit-per-host"     // Behavior.MaxPerHost reached
	ReasonLimitTotal     = "limit-total"        // Behavior.MaxTotal reached
	ReasonHairpinOff     = "hairpin-disabled"   // to our own external address with Hairpin off (RFC 4787 REQ-9)
	ReasonICMPToSelf     = "icmp-to-self"       // echo to our own WAN address: the gateway answers it, not the table
	ReasonSynAck         = "synack-unsolicited" // SYN-ACK with no SYN the other way, under DropSynAck
	ReasonTCPNoConn      = "tcp-no-conn"        // RST, FIN or inbound data for no tracked connection
	ReasonICMPErrorBadIn = "icmp-error-inner"   // an ICMP error whose quoted packet does not match its outer header
)

// Errors AddPortMapping and DeletePortMapping wrap, for errors.Is.
var (
	ErrConflict  = errors.New("external endpoint in use") // IGD ConflictInMappingEntry
	ErrNoMapping = errors.New("no such port mapping")     // IGD NoSuchEntryInArray
	ErrExhausted = errors.New("no free external port")
)

// Table is a NAT's mapping table: it translates flows, keeps mappings with
// their filters, TCP states and timers, and shares one port space between
// dynamic mappings and port mappings. It does no I/O and reads no clock:
// every call takes the table time now, a duration since any fixed origin.
// A now earlier than one already seen is taken as the latest seen.
//
// A Table is not safe for concurrent use: the datapath serialises calls.
type Table struct {
	b   Behavior
	wan []netip.Addr
	rng *rand.Rand
	now time.Duration

	byInternal map[intKey]*mapping  // dynamic mappings
	byExternal map[extKey]*mapping  // every mapping
	static     map[extKey]*mapping  // static mappings by (proto, internal endpoint)
	inConns    map[connKey]*mapping // TCP connections let in on a mapping not keyed by their remote (see lookupOut)
	spaces     [][3]portSpace       // per WAN address, per proto
	perHost    map[netip.Addr]int   // dynamic mappings per internal address, kept when MaxPerHost > 0
	paired     map[netip.Addr]int   // internal address → WAN index (Pooling == Paired)
	nextWAN    int                  // round-robin over WAN addresses
	dynamic    int
	timers     timerHeap

	stats Stats
}

// intKey finds a dynamic mapping from the inside: the internal endpoint and
// what the mapping behaviour makes it depend on.
type intKey struct {
	proto    Proto
	internal netip.AddrPort
	remote   netip.AddrPort
}

// connKey is a TCP connection as the inside sees it.
type connKey struct {
	internal, remote netip.AddrPort
}

// extKey is an endpoint of one protocol.
type extKey struct {
	proto Proto
	ap    netip.AddrPort
}

// Stats counts what the table did since New (Reset and SetWAN keep them).
type Stats struct {
	Created    map[string]uint64 // mappings created, by protocol ("tcp", "udp", "icmp"), static included
	Expired    map[string]uint64 // mappings expired, by protocol
	Dropped    map[string]uint64 // packets dropped, by reason (the Reason* constants)
	Forwarded  uint64            // packets forwarded, either way
	Hairpinned uint64            // packets hairpinned
	Live       int               // mappings in the table now
}

// New returns an empty table with behaviour b (zero fields get their
// defaults) and external addresses wan. Randomness (Random port assignment)
// comes from seed only, so a run is reproducible.
func New(b Behavior, wan []netip.Addr, seed uint64) (*Table, error) {
	b, err := b.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkWAN(wan); err != nil {
		return nil, err
	}
	t := &Table{
		b:   b,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		stats: Stats{
			Created: map[string]uint64{},
			Expired: map[string]uint64{},
			Dropped: map[string]uint64{},
		},
	}
	t.setWAN(wan)
	return t, nil
}

// withDefaults validates b and fills its zero fields.
func (b Behavior) withDefaults() (Behavior, error) {
	switch {
	case b.Mapping > AddressPortDependent:
		return b, fmt.Errorf("table: Behavior.Mapping: want EndpointIndependent, AddressDependent or AddressPortDependent; got %d", b.Mapping)
	case b.Filtering > AddressPortDependent:
		return b, fmt.Errorf("table: Behavior.Filtering: want EndpointIndependent, AddressDependent or AddressPortDependent; got %d", b.Filtering)
	case b.Ports > Random:
		return b, fmt.Errorf("table: Behavior.Ports: want Preserve, Sequential or Random; got %d", b.Ports)
	case b.Pooling > Arbitrary:
		return b, fmt.Errorf("table: Behavior.Pooling: want Paired or Arbitrary; got %d", b.Pooling)
	case b.InboundSynAck > MapSynAck:
		return b, fmt.Errorf("table: Behavior.InboundSynAck: want DropSynAck or MapSynAck; got %d", b.InboundSynAck)
	case b.MaxPerHost < 0:
		return b, fmt.Errorf("table: Behavior.MaxPerHost: want >= 0 (0 = unlimited); got %d", b.MaxPerHost)
	case b.MaxTotal < 0:
		return b, fmt.Errorf("table: Behavior.MaxTotal: want >= 0 (0 = unlimited); got %d", b.MaxTotal)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"UDPTimeout", &b.UDPTimeout, 5 * time.Minute},
		{"TCPEstablished", &b.TCPEstablished, 2*time.Hour + 4*time.Minute},
		{"TCPTransitory", &b.TCPTransitory, 4 * time.Minute},
		{"ICMPTimeout", &b.ICMPTimeout, time.Minute},
	} {
		if *d.v < 0 {
			return b, fmt.Errorf("table: Behavior.%s: want >= 0 (0 = %v); got %v", d.name, d.def, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if b.PortMin == 0 {
		b.PortMin = 1024
	}
	if b.PortMax == 0 {
		b.PortMax = 65535
	}
	if b.PortMin > b.PortMax {
		return b, fmt.Errorf("table: Behavior.PortMin: want <= PortMax (%d); got %d", b.PortMax, b.PortMin)
	}
	return b, nil
}

func checkWAN(wan []netip.Addr) error {
	if len(wan) == 0 {
		return errors.New("table: wan: want at least one IPv4 address; got none")
	}
	seen := map[netip.Addr]bool{}
	for i, a := range wan {
		if !unicast4(a) {
			return fmt.Errorf("table: wan[%d]: want a unicast IPv4 address; got %v", i, a)
		}
		if seen[a] {
			return fmt.Errorf("table: wan[%d]: want distinct addresses; got %v twice", i, a)
		}
		seen[a] = true
	}
	return nil
}

// Behavior returns the behaviour in force, defaults filled in.
func (t *Table) Behavior() Behavior { return t.b }

// WAN returns a copy of the external addresses.
func (t *Table) WAN() []netip.Addr { return append([]netip.Addr(nil), t.wan...) }

// Len is the number of mappings in the table, static included; expired
// mappings count until Expire (or a lookup) removes them.
func (t *Table) Len() int { return len(t.byExternal) }

// Reset loses every mapping, static included, as a reboot does. Stats stay.
func (t *Table) Reset() { t.setWAN(t.wan) }

// SetWAN changes the external addresses; like a reboot, every mapping is lost.
func (t *Table) SetWAN(wan []netip.Addr) error {
	if err := checkWAN(wan); err != nil {
		return err
	}
	t.setWAN(wan)
	return nil
}

func (t *Table) setWAN(wan []netip.Addr) {
	for _, m := range t.byExternal {
		m.dead = true
	}
	t.wan = append([]netip.Addr(nil), wan...)
	if t.byExternal == nil {
		t.byInternal = map[intKey]*mapping{}
		t.byExternal = map[extKey]*mapping{}
		t.static = map[extKey]*mapping{}
		t.inConns = map[connKey]*mapping{}
		t.perHost = map[netip.Addr]int{}
		t.paired = map[netip.Addr]int{}
	}
	// clear keeps the maps' room: a rebooted gateway refills them.
	clear(t.byInternal)
	clear(t.byExternal)
	clear(t.static)
	clear(t.inConns)
	clear(t.perHost)
	clear(t.paired)
	t.spaces = make([][3]portSpace, len(wan))
	t.nextWAN = 0
	t.dynamic = 0
	clear(t.timers)
	t.timers = t.timers[:0]
}

// Stats returns a copy of the counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Created = clone(s.Created)
	s.Expired = clone(s.Expired)
	s.Dropped = clone(s.Dropped)
	s.Live = len(t.byExternal)
	return s
}

func clone(m map[string]uint64) map[string]uint64 {
	c := make(map[string]uint64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// tick makes time monotonic.
func (t *Table) tick(now time.Duration) time.Duration {
	if now > t.now {
		t.now = now
	}
	return t.now
}

func (t *Table) drop(reason string) Verdict {
	t.stats.Dropped[reason]++
	return Verdict{Action: Drop, Reason: reason}
}

// wanIndex returns the index of a among our external addresses, or -1.
func (t *Table) wanIndex(a netip.Addr) int {
	for i, w := range t.wan {
		if w == a {
			return i
		}
	}
	return -1
}

func (p Proto) String() string {
	switch p {
	case ICMP:
		return "icmp"
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("proto-%d", uint8(p))
}

// space returns the port space of proto on WAN address i.
func (t *Table) space(i int, p Proto) *portSpace {
	switch p {
	case TCP:
		return &t.spaces[i][0]
	case UDP:
		return &t.spaces[i][1]
	default:
		return &t.spaces[i][2]
	}
}

// insert adds m to the indexes and takes its external port.
func (t *Table) insert(m *mapping) {
	t.byExternal[extKey{m.proto, m.external}] = m
	t.space(m.wan, m.proto).set(m.external.Port())
	if m.static {
		k := extKey{m.proto, m.internal}
		if _, ok := t.static[k]; !ok {
			t.static[k] = m
		}
	} else {
		t.byInternal[intKey{m.proto, m.internal, m.remote}] = m
		if t.b.MaxPerHost > 0 {
			t.perHost[m.internal.Addr()]++
		}
		t.dynamic++
	}
	t.stats.Created[m.proto.String()]++
	t.schedule(m)
}

// remove takes m out of the table and frees its port.
func (t *Table) remove(m *mapping, expired bool) {
	m.dead = true
	delete(t.byExternal, extKey{m.proto, m.external})
	t.space(m.wan, m.proto).clear(m.external.Port())
	if m.static {
		k := extKey{m.proto, m.internal}
		if t.static[k] == m {
			delete(t.static, k)
			t.restatic(k)
		}
	} else {
		delete(t.byInternal, intKey{m.proto, m.internal, m.remote})
		t.forgetInConns(m)
		if t.b.MaxPerHost > 0 {
			h := m.internal.Addr()
			if t.perHost[h]--; t.perHost[h] <= 0 {
				delete(t.perHost, h)
			}
		}
		t.dynamic--
	}
	if expired {
		t.stats.Expired[m.proto.String()]++
	}
}

// restatic finds another static mapping for the internal endpoint k, if any:
// O(mappings), only when a static mapping goes.
func (t *Table) restatic(k extKey) {
	var best *mapping
	for _, m := range t.byExternal {
		if m.static && m.proto == k.proto && m.internal == k.ap && (best == nil || m.external.Compare(best.external) < 0) {
			best = m
		}
	}
	if best != nil {
		t.static[k] = best
	}
}

// alive says whether m may still be used at now; an expired mapping found
// by a lookup is removed at once (lazy expiry).
func (t *Table) alive(m *mapping, now time.Duration) bool {
	if m == nil {
		return false
	}
	if m.expires <= now {
		t.remove(m, true)
		return false
	}
	return true
}
