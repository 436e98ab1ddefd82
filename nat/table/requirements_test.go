package table

import (
	"testing"
	"time"
)

// Behaviours the rows start from; zero fields take the defaults.
var (
	fullCone  = Behavior{Mapping: EndpointIndependent, Filtering: EndpointIndependent}
	restrict  = Behavior{Mapping: EndpointIndependent, Filtering: AddressDependent}
	portRest  = Behavior{Mapping: EndpointIndependent, Filtering: AddressPortDependent}
	symmetric = Behavior{Mapping: AddressPortDependent, Filtering: AddressPortDependent}
)

func with(b Behavior, f func(*Behavior)) Behavior { f(&b); return b }

const (
	syn    = SYN
	synack = SYN | ACK
	ack    = ACK
	finack = FIN | ACK
	rst    = RST
)

// TestRequirements is the specification of the table, one row per
// requirement or decision, each a script of (time, packet) → verdict steps.
func TestRequirements(t *testing.T) {
	rows := []struct {
		name  string
		b     Behavior
		wan   int
		steps []step
	}{
		// RFC 4787 REQ-1: mapping behaviour.
		{"RFC 4787 REQ-1: EIM reuses the mapping for a new destination", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":40000>"+r1+":3478"),
			out(sec, udp(h1+":40000", r2+":9"), "fwd "+w1+":40000>"+r2+":9"),
			length(1),
		}},
		{"RFC 4787 REQ-1: ADM reuses for the same address, not for another", with(portRest, func(b *Behavior) { b.Mapping = AddressDependent }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":40000>"+r1+":3478"),
			out(sec, udp(h1+":40000", r1+":3479"), "fwd "+w1+":40000>"+r1+":3479"),
			out(sec, udp(h1+":40000", r2+":3478"), "fwd "+w1+":40001>"+r2+":3478"),
			length(2),
		}},
		{"RFC 4787 REQ-1: APDM makes a mapping per destination address and port", symmetric, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":40000>"+r1+":3478"),
			out(sec, udp(h1+":40000", r1+":3479"), "fwd "+w1+":40001>"+r1+":3479"),
			out(sec, udp(h1+":40000", r1+":3478"), "fwd "+w1+":40000>"+r1+":3478"),
			length(2),
		}},
		{"RFC 4787 REQ-1: APDM answers come back through the mapping they belong to", symmetric, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			out(0, udp(h1+":40000", r1+":3479"), "fwd"),
			in(sec, udp(r1+":3479", w1+":40001"), "fwd "+r1+":3479>"+h1+":40000"),
			in(sec, udp(r1+":3478", w1+":40001"), "drop filtered"),
		}},
		// RFC 4787 REQ-8: filtering.
		{"RFC 4787 REQ-8: EIF admits any remote once the mapping exists", fullCone, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			in(sec, udp(r2+":5555", w1+":40000"), "fwd "+r2+":5555>"+h1+":40000"),
		}},
		{"RFC 4787 REQ-8: ADF admits another port of a remote sent to, not another address", restrict, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			in(sec, udp(r1+":3479", w1+":40000"), "fwd "+r1+":3479>"+h1+":40000"),
			in(sec, udp(r2+":3478", w1+":40000"), "drop filtered"),
		}},
		{"RFC 4787 REQ-8: APDF admits only the remote endpoint sent to", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			in(sec, udp(r1+":3478", w1+":40000"), "fwd "+r1+":3478>"+h1+":40000"),
			in(sec, udp(r1+":3479", w1+":40000"), "drop filtered"),
		}},
		{"RFC 4787 REQ-8: the filter remembers every remote the internal endpoint sent to", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			out(sec, udp(h1+":40000", r2+":9"), "fwd"),
			in(2*sec, udp(r1+":3478", w1+":40000"), "fwd"),
			in(2*sec, udp(r2+":9", w1+":40000"), "fwd"),
		}},
		{"RFC 4787 REQ-8: inbound with no mapping is dropped", fullCone, 1, []step{
			in(0, udp(r1+":3478", w1+":40000"), "drop no-mapping"),
		}},
		// RFC 4787 REQ-3, REQ-4: port assignment.
		{"RFC 4787 REQ-3: Preserve keeps the internal port", fullCone, 1, []step{
			out(0, udp(h1+":5060", r1+":5060"), "fwd "+w1+":5060>"+r1+":5060"),
			out(0, udp(h1+":40000", r1+":5060"), "fwd "+w1+":40000>"+r1+":5060"),
		}},
		{"RFC 4787 REQ-3: Preserve goes on sequentially from a taken internal port", fullCone, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":40000>"+r1+":3478"),
			out(0, udp(h2+":40000", r1+":3478"), "fwd "+w1+":40001>"+r1+":3478"),
			out(0, udp(h2+":40001", r1+":3478"), "fwd "+w1+":40002>"+r1+":3478"),
		}},
		{"RFC 4787 REQ-3: Sequential starts at PortMin and counts up", with(fullCone, func(b *Behavior) { b.Ports = Sequential; b.PortMin = 2000 }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":2000>"+r1+":3478"),
			out(0, udp(h1+":40001", r1+":3478"), "fwd "+w1+":2001>"+r1+":3478"),
			out(0, udp(h2+":5", r1+":3478"), "fwd "+w1+":2002>"+r1+":3478"),
		}},
		{"RFC 4787 REQ-4: Parity keeps an odd port odd", with(fullCone, func(b *Behavior) { b.Ports = Sequential; b.Parity = true; b.PortMin = 2000 }), 1, []step{
			out(0, udp(h1+":40001", r1+":3478"), "fwd "+w1+":2001>"+r1+":3478"),
			out(0, udp(h1+":40002", r1+":3478"), "fwd "+w1+":2002>"+r1+":3478"),
			out(0, udp(h1+":40003", r1+":3478"), "fwd "+w1+":2003>"+r1+":3478"),
			out(0, udp(h1+":40005", r1+":3478"), "fwd "+w1+":2005>"+r1+":3478"),
		}},
		{"RFC 4787 REQ-4: Parity under Preserve falls back to a port of the same parity", with(fullCone, func(b *Behavior) { b.Parity = true }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":40000>"+r1+":3478"),
			out(0, udp(h2+":40000", r1+":3478"), "fwd "+w1+":40002>"+r1+":3478"),
		}},
		{"RFC 4787 REQ-3: the port range bounds dynamic ports; past it, port-exhausted", with(fullCone, func(b *Behavior) { b.PortMin, b.PortMax = 5000, 5001 }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":5000>"+r1+":3478"),
			out(0, udp(h1+":40001", r1+":3478"), "fwd "+w1+":5001>"+r1+":3478"),
			out(0, udp(h1+":40002", r1+":3478"), "drop port-exhausted"),
			length(2),
		}},
		{"RFC 4787 REQ-3: an exhausted range frees the ports of expired mappings", with(fullCone, func(b *Behavior) { b.PortMin, b.PortMax = 5000, 5000 }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":5000>"+r1+":3478"),
			out(5*min, udp(h1+":40001", r1+":3478"), "fwd "+w1+":5000>"+r1+":3478"),
		}},
		{"TCP and UDP port spaces are separate", fullCone, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":40000>"+r1+":3478"),
			out(0, tcp(h2+":40000", r1+":443", syn), "fwd "+w1+":40000>"+r1+":443"),
		}},
		// RFC 4787 REQ-2: pooling.
		{"RFC 4787 REQ-2: Paired gives an internal address the same external address", with(fullCone, func(b *Behavior) { b.Pooling = Paired }), 2, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":40000>"+r1+":3478"),
			out(0, udp(h2+":40000", r1+":3478"), "fwd "+w2+":40000>"+r1+":3478"),
			out(0, udp(h1+":40001", r1+":3478"), "fwd "+w1+":40001>"+r1+":3478"),
			out(0, tcp(h2+":50000", r1+":443", syn), "fwd "+w2+":50000>"+r1+":443"),
		}},
		{"RFC 4787 REQ-2: Arbitrary rotates external addresses per mapping", with(fullCone, func(b *Behavior) { b.Pooling = Arbitrary; b.Ports = Sequential }), 2, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":1024>"+r1+":3478"),
			out(0, udp(h1+":40001", r1+":3478"), "fwd "+w2+":1024>"+r1+":3478"),
			out(0, udp(h1+":40002", r1+":3478"), "fwd "+w1+":1025>"+r1+":3478"),
		}},
		// RFC 4787 REQ-5, REQ-6: UDP timers.
		{"RFC 4787 REQ-5: a UDP mapping lasts the default 5 min", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			in(5*min-sec, udp(r1+":3478", w1+":40000"), "fwd"),
			in(5*min, udp(r1+":3478", w1+":40000"), "drop no-mapping"),
		}},
		{"RFC 4787 REQ-6: outbound refreshes the UDP mapping", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			out(4*min, udp(h1+":40000", r1+":3478"), "fwd"),
			in(8*min, udp(r1+":3478", w1+":40000"), "fwd"),
			expire(9*min-sec, 0),
			expire(9*min, 1),
		}},
		{"RFC 4787 REQ-6: inbound does not refresh unless InboundRefresh", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			in(4*min, udp(r1+":3478", w1+":40000"), "fwd"),
			in(6*min, udp(r1+":3478", w1+":40000"), "drop no-mapping"),
		}},
		{"RFC 4787 REQ-6: InboundRefresh lets inbound refresh", with(portRest, func(b *Behavior) { b.InboundRefresh = true }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			in(4*min, udp(r1+":3478", w1+":40000"), "fwd"),
			in(8*min, udp(r1+":3478", w1+":40000"), "fwd"),
		}},
		{"RFC 4787 REQ-5: UDPTimeout sets the mapping lifetime", with(portRest, func(b *Behavior) { b.UDPTimeout = 30 * sec }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			expire(29*sec, 0),
			expire(30*sec, 1),
			length(0),
		}},
		// RFC 5382: TCP.
		{"RFC 5382 REQ-5: a completed handshake is established, 2h4m", portRest, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd "+w1+":40000>"+r1+":443"),
			state(0, h1+":40000", StateSynSent, 4*min),
			in(sec, tcp(r1+":443", w1+":40000", synack), "fwd "+r1+":443>"+h1+":40000"),
			out(2*sec, tcp(h1+":40000", r1+":443", ack), "fwd"),
			state(2*sec, h1+":40000", StateEstablished, 2*sec+2*time.Hour+4*min),
		}},
		{"RFC 5382: a SYN left unanswered expires after the transitory 4 min", portRest, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			expire(4*min-sec, 0),
			expire(4*min, 1),
		}},
		{"RFC 5382: RST makes an established connection transitory", portRest, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			in(0, tcp(r1+":443", w1+":40000", synack), "fwd"),
			out(0, tcp(h1+":40000", r1+":443", ack), "fwd"),
			in(min, tcp(r1+":443", w1+":40000", rst), "fwd"),
			state(min, h1+":40000", StateClosed, 5*min),
			expire(5*min, 1),
		}},
		{"RFC 5382: FIN both ways closes with the transitory timeout", portRest, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			in(0, tcp(r1+":443", w1+":40000", synack), "fwd"),
			out(0, tcp(h1+":40000", r1+":443", ack), "fwd"),
			out(min, tcp(h1+":40000", r1+":443", finack), "fwd"),
			state(min, h1+":40000", StateFinWait, 5*min),
			in(min, tcp(r1+":443", w1+":40000", finack), "fwd"),
			state(min, h1+":40000", StateClosing, 5*min),
			expire(5*min, 1),
		}},
		{"RFC 5382 REQ-2: simultaneous open through an APDF filter", portRest, 1, []step{
			out(0, tcp(h1+":40000", r1+":50000", syn), "fwd"),
			in(sec, tcp(r1+":50000", w1+":40000", syn), "fwd "+r1+":50000>"+h1+":40000"),
			out(sec, tcp(h1+":40000", r1+":50000", synack), "fwd"),
			in(sec, tcp(r1+":50000", w1+":40000", synack), "fwd"),
			out(2*sec, tcp(h1+":40000", r1+":50000", ack), "fwd"),
			state(2*sec, h1+":40000", StateEstablished, 2*sec+2*time.Hour+4*min),
		}},
		// RFC 5382 §4.2 REQ-2a, the sequence the conformance check
		// (nat/conform checkSimultaneousOpen) puts on the wire: the remote
		// answers the crossing SYN-ACK with a bare ACK, not a SYN-ACK.
		{"RFC 5382 §4.2 REQ-2a: crossing SYNs, SYN-ACK out, ACK in", portRest, 1, []step{
			out(0, tcp(h1+":47300", r1+":47301", syn), "fwd "+w1+":47300>"+r1+":47301"),
			in(0, tcp(r1+":47301", w1+":47300", syn), "fwd "+r1+":47301>"+h1+":47300"),
			state(0, h1+":47300", StateSynBoth, 4*min),
			out(0, tcp(h1+":47300", r1+":47301", synack), "fwd "+w1+":47300>"+r1+":47301"),
			in(0, tcp(r1+":47301", w1+":47300", ack), "fwd"),
			state(0, h1+":47300", StateEstablished, 2*time.Hour+4*min),
		}},
		{"RFC 5382 §4.2 REQ-2a: crossing SYNs on an APDM mapping reach the host that owns it", with(symmetric, func(b *Behavior) { b.Ports = Sequential }), 1, []step{
			out(0, tcp(h2+":47300", r1+":47301", syn), "fwd "+w1+":1024>"+r1+":47301"),
			out(0, tcp(h1+":47300", r1+":47301", syn), "fwd "+w1+":1025>"+r1+":47301"),
			in(0, tcp(r1+":47301", w1+":1025", syn), "fwd "+r1+":47301>"+h1+":47300"),
			out(0, tcp(h1+":47300", r1+":47301", synack), "fwd "+w1+":1025>"+r1+":47301"),
			in(0, tcp(r1+":47301", w1+":1025", ack), "fwd "+r1+":47301>"+h1+":47300"),
			state(0, h1+":47300", StateEstablished, 2*time.Hour+4*min),
		}},
		{"RFC 5382 §4.2 REQ-2a: the crossing SYN must come from the endpoint the SYN went to (APDF)", portRest, 1, []step{
			out(0, tcp(h1+":47300", r1+":47301", syn), "fwd"),
			in(0, tcp(r1+":47302", w1+":47300", syn), "drop filtered"),
			in(0, tcp(r2+":47301", w1+":47300", syn), "drop filtered"),
			state(0, h1+":47300", StateSynSent, 4*min),
		}},
		{"RFC 5382 §4.3 REQ-4 and §4.2 REQ-2a: an inbound SYN ahead of the outbound one is dropped, its retransmission crosses", portRest, 1, []step{
			out(0, tcp(h1+":47300", r2+":443", syn), "fwd"),
			in(0, tcp(r1+":47301", w1+":47300", syn), "drop filtered"),
			out(sec, tcp(h1+":47300", r1+":47301", syn), "fwd "+w1+":47300>"+r1+":47301"),
			in(2*sec, tcp(r1+":47301", w1+":47300", syn), "fwd "+r1+":47301>"+h1+":47300"),
			out(2*sec, tcp(h1+":47300", r1+":47301", synack), "fwd"),
			in(2*sec, tcp(r1+":47301", w1+":47300", synack), "fwd"),
			in(2*sec, tcp(r1+":47301", w1+":47300", ack), "fwd"),
			state(2*sec, h1+":47300", StateEstablished, 2*sec+2*time.Hour+4*min),
		}},
		{"RFC 5382 §4.2 REQ-2a: a new simultaneous open on the endpoints of a reset connection", portRest, 1, []step{
			out(0, tcp(h1+":47300", r1+":47301", syn), "fwd"),
			in(0, tcp(r1+":47301", w1+":47300", synack), "fwd"),
			out(0, tcp(h1+":47300", r1+":47301", ack), "fwd"),
			in(min, tcp(r1+":47301", w1+":47300", rst), "fwd"),
			out(2*min, tcp(h1+":47300", r1+":47301", syn), "fwd "+w1+":47300>"+r1+":47301"),
			in(2*min, tcp(r1+":47301", w1+":47300", syn), "fwd "+r1+":47301>"+h1+":47300"),
			state(2*min, h1+":47300", StateSynBoth, 2*min+4*min),
		}},
		{"RFC 5382 REQ-4: an unsolicited inbound SYN is dropped", portRest, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			in(sec, tcp(r2+":443", w1+":40000", syn), "drop filtered"),
			in(sec, tcp(r2+":443", w1+":40001", syn), "drop no-mapping"),
		}},
		{"RFC 5382 REQ-1: an EIF mapping admits an inbound SYN from a new remote", fullCone, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			in(sec, tcp(r2+":5000", w1+":40000", syn), "fwd "+r2+":5000>"+h1+":40000"),
			out(sec, tcp(h1+":40000", r2+":5000", synack), "fwd "+w1+":40000>"+r2+":5000"),
		}},
		{"RFC 5382 REQ-2: a connection an EIF filter lets in on an address-dependent mapping answers through that mapping", with(fullCone, func(b *Behavior) { b.Mapping = AddressDependent }), 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd "+w1+":40000>"+r1+":443"),
			in(sec, tcp(r2+":5000", w1+":40000", syn), "fwd "+r2+":5000>"+h1+":40000"),
			out(sec, tcp(h1+":40000", r2+":5000", synack), "fwd "+w1+":40000>"+r2+":5000"),
			in(sec, tcp(r2+":5000", w1+":40000", ack), "fwd"),
			out(2*sec, tcp(h1+":40000", r2+":5000", ack), "fwd "+w1+":40000>"+r2+":5000"),
			length(1),
			// a connection the inside opens to that remote still gets its own mapping
			out(3*sec, tcp(h1+":40000", r2+":6000", syn), "fwd "+w1+":40001>"+r2+":6000"),
		}},
		{"RFC 5382 REQ-2: the same on an address-and-port-dependent mapping", with(fullCone, func(b *Behavior) { b.Mapping = AddressPortDependent; b.TCPTransitory = time.Minute }), 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd "+w1+":40000>"+r1+":443"),
			in(sec, tcp(r2+":5000", w1+":40000", syn), "fwd "+r2+":5000>"+h1+":40000"),
			out(sec, tcp(h1+":40000", r2+":5000", synack), "fwd "+w1+":40000>"+r2+":5000"),
			expire(5*min, 1),
			length(0),
		}},
		{"InboundSynAck DropSynAck: an inbound SYN-ACK with no SYN out is dropped (Linux)", fullCone, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			in(sec, tcp(r2+":443", w1+":40000", synack), "drop synack-unsolicited"),
		}},
		{"InboundSynAck MapSynAck: an inbound SYN-ACK the EIF filter admits is forwarded", with(fullCone, func(b *Behavior) { b.InboundSynAck = MapSynAck }), 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			in(sec, tcp(r2+":443", w1+":40000", synack), "fwd "+r2+":443>"+h1+":40000"),
			state(sec, h1+":40000", StateSynBoth, sec+4*min),
		}},
		{"InboundSynAck MapSynAck: the filter still applies", with(portRest, func(b *Behavior) { b.InboundSynAck = MapSynAck }), 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			in(sec, tcp(r2+":443", w1+":40000", synack), "drop filtered"),
		}},
		{"InboundSynAck MapSynAck: no mapping, no forwarding", with(fullCone, func(b *Behavior) { b.InboundSynAck = MapSynAck }), 1, []step{
			in(0, tcp(r2+":443", w1+":40000", synack), "drop no-mapping"),
		}},
		{"seed 002: MapSynAck, an outbound SYN-ACK with no SYN creates the mapping", with(fullCone, func(b *Behavior) { b.InboundSynAck = MapSynAck }), 1, []step{
			out(0, tcp(h1+":554", r1+":40000", synack), "fwd "+w1+":1024>"+r1+":40000"),
			length(1),
			in(sec, tcp(r1+":40000", w1+":1024", ack), "fwd "+r1+":40000>"+h1+":554"),
			state(sec, h1+":554", StateEstablished, sec+2*time.Hour+4*min),
		}},
		{"seed 002: DropSynAck, an outbound SYN-ACK with no SYN is dropped and creates nothing", fullCone, 1, []step{
			out(0, tcp(h1+":554", r1+":40000", synack), "drop synack-unsolicited"),
			length(0),
		}},
		{"conntrack loose pick-up: an outbound ACK with no connection is established", portRest, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", ack), "fwd"),
			state(0, h1+":40000", StateEstablished, 2*time.Hour+4*min),
			in(sec, tcp(r1+":443", w1+":40000", ack), "fwd"),
		}},
		{"TCP: an outbound RST or FIN for no connection is dropped and creates nothing", portRest, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", rst), "drop tcp-no-conn"),
			out(0, tcp(h1+":40000", r1+":443", finack), "drop tcp-no-conn"),
			length(0),
		}},
		{"TCP: an inbound ACK for no connection is dropped even through EIF", fullCone, 1, []step{
			out(0, tcp(h1+":40000", r1+":443", syn), "fwd"),
			in(sec, tcp(r2+":443", w1+":40000", ack), "drop tcp-no-conn"),
		}},
		// RFC 5508: ICMP.
		{"RFC 5508 REQ-1: the echo identifier is mapped like a port", with(fullCone, func(b *Behavior) { b.Ports = Sequential }), 1, []step{
			out(0, icmp(h1+":7", r1+":7"), "fwd "+w1+":0>"+r1+":0"),
			out(0, icmp(h2+":7", r1+":7"), "fwd "+w1+":1>"+r1+":1"),
			in(sec, icmp(r1+":1", w1+":1"), "fwd "+r1+":7>"+h2+":7"),
			in(sec, icmp(r1+":0", w1+":0"), "fwd "+r1+":7>"+h1+":7"),
		}},
		{"RFC 5508 REQ-2: an echo mapping lasts 60 s", portRest, 1, []step{
			out(0, icmp(h1+":7", r1+":7"), "fwd "+w1+":7>"+r1+":7"),
			in(59*sec, icmp(r1+":7", w1+":7"), "fwd"),
			in(60*sec, icmp(r1+":7", w1+":7"), "drop no-mapping"),
		}},
		{"RFC 5508 REQ-4: an inbound ICMP error is translated, outer and quoted", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			ierr(sec, icmp(r2+":0", w1+":0"), udp(w1+":40000", r1+":3478"), "fwd "+r2+":0>"+h1+":0|"+h1+":40000>"+r1+":3478"),
		}},
		{"RFC 5508 REQ-4: an ICMP error for no mapping is dropped", portRest, 1, []step{
			ierr(0, icmp(r2+":0", w1+":0"), udp(w1+":40000", r1+":3478"), "drop no-mapping"),
		}},
		{"RFC 5508 REQ-4: an ICMP error quoting a packet the mapping never sent is dropped", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			ierr(sec, icmp(r2+":0", w1+":0"), udp(w1+":40000", r2+":3478"), "drop filtered"),
			ierr(sec, icmp(r2+":0", w1+":0"), udp(w2+":40000", r1+":3478"), "drop icmp-error-inner"),
		}},
		{"RFC 5508 REQ-5: an outbound ICMP error is translated back", portRest, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			oerr(sec, icmp(h1+":0", r1+":0"), udp(r1+":3478", h1+":40000"), "fwd "+w1+":0>"+r1+":0|"+r1+":3478>"+w1+":40000"),
			oerr(sec, icmp(h2+":0", r1+":0"), udp(r1+":3478", h2+":40000"), "drop no-mapping"),
		}},
		// Limits.
		{"MaxPerHost: one host cannot take more mappings", with(fullCone, func(b *Behavior) { b.MaxPerHost = 2 }), 1, []step{
			out(0, udp(h1+":1", r1+":3478"), "fwd"),
			out(0, udp(h1+":2", r1+":3478"), "fwd"),
			out(0, udp(h1+":3", r1+":3478"), "drop limit-per-host"),
			out(0, udp(h2+":3", r1+":3478"), "fwd"),
			out(5*min, udp(h1+":3", r1+":3478"), "fwd"),
		}},
		{"MaxTotal: the table cannot hold more mappings", with(fullCone, func(b *Behavior) { b.MaxTotal = 2 }), 1, []step{
			out(0, udp(h1+":1", r1+":3478"), "fwd"),
			out(0, udp(h2+":2", r1+":3478"), "fwd"),
			out(0, udp(h2+":3", r1+":3478"), "drop limit-total"),
			out(0, udp(h1+":1", r2+":3478"), "fwd"),
		}},
		// RFC 4787 REQ-9: hairpinning.
		{"RFC 4787 REQ-9: hairpinned packets carry the sender's external source", with(fullCone, func(b *Behavior) { b.Hairpin = true }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			out(sec, udp(h2+":50000", w1+":40000"), "hairpin "+w1+":50000>"+h1+":40000"),
			out(2*sec, udp(h1+":40000", w1+":50000"), "hairpin "+w1+":40000>"+h2+":50000"),
		}},
		{"RFC 4787 REQ-9: hairpinning off drops packets to our own address", fullCone, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			out(sec, udp(h2+":50000", w1+":40000"), "drop hairpin-disabled"),
			length(1),
		}},
		{"RFC 4787 REQ-9: a hairpinned packet passes the target's filter", with(portRest, func(b *Behavior) { b.Hairpin = true }), 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			out(sec, udp(h2+":50000", w1+":40000"), "drop filtered"),
			out(2*sec, udp(h1+":40000", w1+":50000"), "hairpin "+w1+":40000>"+h2+":50000"),
			out(3*sec, udp(h2+":50000", w1+":40000"), "hairpin "+w1+":50000>"+h1+":40000"),
		}},
		{"RFC 4787 REQ-9: hairpinned TCP opens with SYN through an EIF target", with(fullCone, func(b *Behavior) { b.Hairpin = true }), 1, []step{
			add(0, PortMapping{Proto: TCP, Internal: ap(h1 + ":80"), External: ap(w1 + ":8080")}, "ok"),
			out(sec, tcp(h2+":50000", w1+":8080", syn), "hairpin "+w1+":50000>"+h1+":80"),
			out(sec, tcp(h1+":80", w1+":50000", synack), "hairpin "+w1+":8080>"+h2+":50000"),
			out(sec, tcp(h2+":50000", w1+":8080", ack), "hairpin"),
		}},
		// Static mappings.
		{"port mapping: forwards inbound whatever the filtering", portRest, 1, []step{
			add(0, PortMapping{Proto: UDP, Internal: ap(h1 + ":5000"), External: ap("0.0.0.0:6000")}, "ok "+w1+":6000"),
			in(sec, udp(r1+":9", w1+":6000"), "fwd "+r1+":9>"+h1+":5000"),
			in(sec, tcp(r1+":9", w1+":6000", syn), "drop no-mapping"),
		}},
		{"port mapping: Remote restricts who may come in", portRest, 1, []step{
			add(0, PortMapping{Proto: UDP, Internal: ap(h1 + ":5000"), External: ap(w1 + ":6000"), Remote: ap(r1 + ":0").Addr()}, "ok"),
			in(sec, udp(r1+":9", w1+":6000"), "fwd"),
			in(sec, udp(r2+":9", w1+":6000"), "drop filtered"),
		}},
		{"port mapping: outbound from its internal endpoint uses its external endpoint", symmetric, 1, []step{
			add(0, PortMapping{Proto: UDP, Internal: ap(h1 + ":5000"), External: ap(w1 + ":6000")}, "ok"),
			out(sec, udp(h1+":5000", r1+":9"), "fwd "+w1+":6000>"+r1+":9"),
			out(sec, udp(h1+":5000", r2+":9"), "fwd "+w1+":6000>"+r2+":9"),
			length(1),
		}},
		{"port mapping: conflicts with a live dynamic mapping", fullCone, 1, []step{
			out(0, udp(h1+":40000", r1+":3478"), "fwd"),
			add(sec, PortMapping{Proto: UDP, Internal: ap(h2 + ":40000"), External: ap(w1 + ":40000")}, "err"),
			add(5*min, PortMapping{Proto: UDP, Internal: ap(h2 + ":40000"), External: ap(w1 + ":40000")}, "ok"),
		}},
		{"port mapping: replaces its own endpoint's dynamic mapping on the port (RFC 6887 §11.3), not a conflict", portRest, 1, []step{
			out(0, udp(h1+":7000", r1+":7070"), "fwd "+w1+":7000>"+r1+":7070"),
			in(sec, udp(r2+":9", w1+":7000"), "drop filtered"),
			add(sec, PortMapping{Proto: UDP, Internal: ap(h2 + ":7000"), External: ap(w1 + ":7000")}, "err"),
			add(sec, PortMapping{Proto: UDP, Internal: ap(h1 + ":7000"), External: ap(w1 + ":7000"), Lifetime: min}, "ok "+w1+":7000"),
			length(1),
			in(2*sec, udp(r2+":9", w1+":7000"), "fwd "+r2+":9>"+h1+":7000"),
			out(2*sec, udp(h1+":7000", r1+":7070"), "fwd "+w1+":7000>"+r1+":7070"),
			expire(sec+min, 1),
			length(0),
		}},
		{"port mapping: a dynamic mapping avoids its port", with(fullCone, func(b *Behavior) { b.Ports = Sequential }), 1, []step{
			add(0, PortMapping{Proto: UDP, Internal: ap(h2 + ":9"), External: ap(w1 + ":1024")}, "ok"),
			out(0, udp(h1+":40000", r1+":3478"), "fwd "+w1+":1025>"+r1+":3478"),
		}},
		{"port mapping: Lifetime ends it; 0 keeps it", fullCone, 1, []step{
			add(0, PortMapping{Proto: UDP, Internal: ap(h1 + ":5000"), External: ap(w1 + ":6000"), Lifetime: min}, "ok"),
			add(0, PortMapping{Proto: TCP, Internal: ap(h1 + ":5000"), External: ap(w1 + ":6000")}, "ok"),
			expire(min, 1),
			expire(1000*time.Hour, 0),
			length(1),
		}},
		{"port mapping: port 0 asks for a free port, preserving when it can", fullCone, 1, []step{
			add(0, PortMapping{Proto: TCP, Internal: ap(h1 + ":80")}, "ok "+w1+":80"),
			add(0, PortMapping{Proto: TCP, Internal: ap(h2 + ":80")}, "ok "+w1+":1024"), // as Sequential from PortMin
		}},
		// Bad input.
		{"bad input: an unknown protocol is dropped", fullCone, 1, []step{
			out(0, Flow{Proto: 47, Src: ap(h1 + ":1"), Dst: ap(r1 + ":1")}, "drop bad-proto"),
			in(0, Flow{Proto: 0, Src: ap(r1 + ":1"), Dst: ap(w1 + ":1")}, "drop bad-proto"),
			length(0),
		}},
		{"bad input: invalid, multicast, broadcast and unspecified addresses are dropped", fullCone, 1, []step{
			out(0, Flow{Proto: UDP, Dst: ap(r1 + ":1")}, "drop bad-addr"),
			out(0, udp(h1+":1", "224.0.0.251:5353"), "drop bad-addr"),
			out(0, udp(h1+":1", "255.255.255.255:67"), "drop bad-addr"),
			out(0, udp("0.0.0.0:68", r1+":67"), "drop bad-addr"),
			out(0, udp("[2001:db8::1]:1", r1+":1"), "drop bad-addr"),
			length(0),
		}},
		{"bad input: TCP and UDP port 0 are dropped", fullCone, 1, []step{
			out(0, udp(h1+":0", r1+":1"), "drop bad-port"),
			out(0, tcp(h1+":1", r1+":0", syn), "drop bad-port"),
			length(0),
		}},
		{"bad input: a source on the wrong side is dropped", fullCone, 1, []step{
			out(0, udp(w1+":1", r1+":1"), "drop wrong-side"),
			in(0, udp(r1+":1", r2+":1"), "drop not-ours"),
			in(0, udp(w1+":1", w1+":1"), "drop wrong-side"),
			length(0),
		}},
		{"bad input: SYN with FIN or RST is dropped", fullCone, 1, []step{
			out(0, tcp(h1+":1", r1+":1", SYN|FIN), "drop bad-flags"),
			out(0, tcp(h1+":1", r1+":1", SYN|RST), "drop bad-flags"),
			length(0),
		}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			wan := wan1
			if r.wan == 2 {
				wan = wan2
			}
			run(t, newTable(t, r.b, wan), r.steps)
		})
	}
	t.Logf("%d requirement rows", len(rows))
}
