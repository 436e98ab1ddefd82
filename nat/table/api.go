package table

import (
	"net/netip"
	"time"
)

// Dependence says what a mapping or a filter depends on besides the internal
// endpoint (RFC 4787 §4.1, §5).
type Dependence uint8

// Dependences.
const (
	EndpointIndependent  Dependence = iota // EIM / EIF
	AddressDependent                       // ADM / ADF
	AddressPortDependent                   // APDM / APDF
)

// PortAssignment is how an external port is chosen (RFC 4787 §4.2.1).
type PortAssignment uint8

// Port assignments.
const (
	Preserve   PortAssignment = iota // the internal port if free, else as Sequential
	Sequential                       // the next free port after the last one given
	Random                           // a random free port
)

// Pooling is how an external address is chosen among several (RFC 4787 §4.1 REQ-2).
type Pooling uint8

// Poolings.
const (
	Paired    Pooling = iota // one internal address always gets the same external address
	Arbitrary                // any external address per mapping
)

// SynAckPolicy is what an inbound-initiated TCP SYN-ACK (no mapping, no
// outbound SYN seen) gets. Linux drops it; seed 002's TCP trigger needs Map.
type SynAckPolicy uint8

// SYN-ACK policies.
const (
	DropSynAck SynAckPolicy = iota
	MapSynAck               // treat it as opening the flow if an endpoint-independent filter allows it
)

// Behavior is every knob of a NAT, one field per RFC 4787/5382/5508 behaviour.
type Behavior struct {
	Mapping        Dependence
	Filtering      Dependence
	Ports          PortAssignment
	Parity         bool   // keep the internal port's parity (RFC 4787 REQ-4)
	PortMin        uint16 // external port range; 0 = 1024
	PortMax        uint16 // 0 = 65535
	Pooling        Pooling
	UDPTimeout     time.Duration // RFC 4787 REQ-5: >= 2 min recommended; 0 = 5 min
	InboundRefresh bool          // inbound packets refresh a UDP mapping (REQ-6)
	TCPEstablished time.Duration // RFC 5382 REQ-5: >= 2 h 4 min; 0 = 2h4m
	TCPTransitory  time.Duration // RFC 5382: >= 4 min; 0 = 4 min
	InboundSynAck  SynAckPolicy
	Hairpin        bool          // RFC 4787 REQ-9
	ICMPTimeout    time.Duration // RFC 5508 REQ-1: >= 60 s; 0 = 60 s
	MaxPerHost     int           // mappings one internal address may hold; 0 = unlimited
	MaxTotal       int           // mappings in all; 0 = unlimited
}

// Proto is an IP protocol number the table knows.
type Proto uint8

// Protocols.
const (
	ICMP Proto = 1
	TCP  Proto = 6
	UDP  Proto = 17
)

// TCP flags as in the TCP header.
const (
	FIN uint8 = 0x01
	SYN uint8 = 0x02
	RST uint8 = 0x04
	ACK uint8 = 0x10
)

// Flow is what the table sees of a packet. For ICMP echo, the port of both
// endpoints is the echo identifier.
type Flow struct {
	Proto Proto
	Src   netip.AddrPort
	Dst   netip.AddrPort
	Flags uint8 // TCP flags
}

// Action is what to do with a packet.
type Action uint8

// Actions.
const (
	Drop    Action = iota
	Forward        // send Out on the other side
	Hairpin        // Out goes back to the LAN (internal host to an external address of this NAT)
)

// Verdict is the table's answer for one packet.
type Verdict struct {
	Action Action
	Out    Flow   // the translated flow when not dropped
	Reason string // why dropped, a short counter name ("no-mapping", "filtered", "port-exhausted", ...)
}

// PortMapping is a mapping installed by a port-mapping protocol (UPnP IGD,
// NAT-PMP, PCP). It shares the port space with dynamic mappings.
type PortMapping struct {
	Proto    Proto
	External netip.AddrPort // external address and port; an unspecified address means the first WAN address
	Internal netip.AddrPort
	Remote   netip.Addr    // only this remote host may use it; unspecified = any
	Lifetime time.Duration // 0 = until deleted or reset
}

// Mapping is one row of a table dump, for reports.
type Mapping struct {
	Proto    Proto
	Internal netip.AddrPort
	External netip.AddrPort
	Remote   netip.AddrPort // the remote the mapping depends on, unspecified for EIM
	Static   bool           // installed by a port-mapping protocol
	Expires  time.Duration  // table time the mapping expires if not refreshed; 0 = never
	State    string         // TCP state, "" for UDP/ICMP
}
