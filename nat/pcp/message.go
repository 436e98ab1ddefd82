package pcp

import (
	"encoding/binary"
	"net/netip"
)

// Opcode payload lengths (RFC 6887 §11.1, §12.1).
const (
	mapLen  = 36
	peerLen = 56
)

// Request is a PCP request: the common header (§7.1) and, for MAP and
// PEER, the opcode's fields (§11.1, §12.1). Addresses are unmapped: an
// IPv4 address is a plain netip IPv4 address here and IPv4-mapped on the
// wire.
type Request struct {
	Opcode   Opcode
	Lifetime uint32     // requested lifetime, seconds; 0 deletes
	Client   netip.Addr // the PCP client's IP address field

	Nonce        [12]byte   // MAP, PEER: mapping nonce (§11.1)
	Protocol     uint8      // MAP, PEER: IANA protocol number; 0 = all (MAP)
	InternalPort uint16     // MAP, PEER
	ExternalPort uint16     // MAP, PEER: suggested
	ExternalAddr netip.Addr // MAP, PEER: suggested; invalid or unspecified = no preference
	PeerPort     uint16     // PEER: remote peer port
	PeerAddr     netip.Addr // PEER: remote peer address

	Options []Option
}

// Response is a PCP response (§7.2) with the opcode fields of MAP or PEER.
type Response struct {
	Opcode   Opcode
	Result   Result
	Lifetime uint32 // granted lifetime; for an error, how long the error holds
	Epoch    uint32 // the server's epoch time, seconds (§8.5)

	Nonce        [12]byte
	Protocol     uint8
	InternalPort uint16
	ExternalPort uint16     // assigned
	ExternalAddr netip.Addr // assigned
	PeerPort     uint16
	PeerAddr     netip.Addr

	Options []Option
}

// Protocol numbers of the transports a mapping may be for.
const (
	ProtoTCP = 6
	ProtoUDP = 17
)

// ProtoNumber is the IANA number of "tcp" or "udp" (0 otherwise).
func ProtoNumber(proto string) uint8 {
	switch proto {
	case "tcp":
		return ProtoTCP
	case "udp":
		return ProtoUDP
	}
	return 0
}

// ParseRequest parses and validates a PCP request in the order of RFC 6887
// §8.3. On failure it returns what it could read and an *Error: drop it
// (shorter than 2 octets, or the R bit set), or answer with the Result
// (UNSUPP_VERSION, MALFORMED_REQUEST, UNSUPP_OPCODE, UNSUPP_OPTION,
// MALFORMED_OPTION). Checks that need the server's state (ADDRESS_MISMATCH,
// NOT_AUTHORIZED, UNSUPP_PROTOCOL, ...) are the server's.
func ParseRequest(b []byte) (Request, *Error) {
	var r Request
	if len(b) < 2 {
		return r, &Error{Drop: true, Msg: "shorter than 2 octets"}
	}
	if b[1]&0x80 != 0 {
		return r, &Error{Drop: true, Msg: "R bit set: a response, not a request"}
	}
	r.Opcode = Opcode(b[1] & 0x7f)
	if b[0] != Version {
		return r, bad(UnsuppVersion, "version %d; want %d", b[0], Version)
	}
	if len(b) < HeaderLen || len(b) > MaxMessage || len(b)%4 != 0 {
		return r, bad(MalformedRequest, "length %d; want 24..1100 and a multiple of 4", len(b))
	}
	r.Lifetime = binary.BigEndian.Uint32(b[4:])
	r.Client = getAddr(b[8:])
	rest := b[HeaderLen:]
	switch r.Opcode {
	case OpAnnounce:
	case OpMap, OpPeer:
		need := mapLen
		if r.Opcode == OpPeer {
			need = peerLen
		}
		if len(rest) < need {
			return r, bad(MalformedRequest, "%v payload of %d octets; want %d", r.Opcode, len(rest), need)
		}
		r.Nonce = [12]byte(rest[:12])
		r.Protocol = rest[12]
		r.InternalPort = binary.BigEndian.Uint16(rest[16:])
		r.ExternalPort = binary.BigEndian.Uint16(rest[18:])
		r.ExternalAddr = getAddr(rest[20:])
		if r.Opcode == OpPeer {
			r.PeerPort = binary.BigEndian.Uint16(rest[36:])
			r.PeerAddr = getAddr(rest[40:])
			if r.Protocol == 0 || r.InternalPort == 0 || r.PeerPort == 0 {
				return r, bad(MalformedRequest, "PEER needs a protocol, an internal port and a remote peer port")
			}
		}
		if r.Opcode == OpMap && r.Protocol == 0 && r.InternalPort != 0 {
			return r, bad(MalformedRequest, "MAP for all protocols with internal port %d; want 0 (§11.1)", r.InternalPort)
		}
		rest = rest[need:]
	default:
		return r, bad(UnsuppOpcode, "opcode %d", r.Opcode)
	}
	opts, err := parseOptions(rest, r.Opcode)
	r.Options = opts
	if err != nil {
		return r, err
	}
	return r, nil
}

// Append encodes the request.
func (r Request) Append(b []byte) []byte {
	b = append(b, Version, byte(r.Opcode)&0x7f, 0, 0)
	b = binary.BigEndian.AppendUint32(b, r.Lifetime)
	b = appendAddr(b, r.Client)
	b = appendOpcode(b, r.Opcode, r.Nonce, r.Protocol, r.InternalPort, r.ExternalPort, r.ExternalAddr, r.PeerPort, r.PeerAddr)
	return appendOptions(b, r.Options)
}

func appendOpcode(b []byte, op Opcode, nonce [12]byte, proto uint8, in, ext uint16, extAddr netip.Addr, peerPort uint16, peer netip.Addr) []byte {
	if op != OpMap && op != OpPeer {
		return b
	}
	b = append(b, nonce[:]...)
	b = append(b, proto, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, in)
	b = binary.BigEndian.AppendUint16(b, ext)
	b = appendAddr(b, extAddr)
	if op == OpPeer {
		b = binary.BigEndian.AppendUint16(b, peerPort)
		b = append(b, 0, 0)
		b = appendAddr(b, peer)
	}
	return b
}

func appendAddr(b []byte, a netip.Addr) []byte {
	var f [16]byte
	putAddr(f[:], a)
	return append(b, f[:]...)
}

// Append encodes the response.
func (r Response) Append(b []byte) []byte {
	b = append(b, Version, 0x80|byte(r.Opcode), 0, byte(r.Result))
	b = binary.BigEndian.AppendUint32(b, r.Lifetime)
	b = binary.BigEndian.AppendUint32(b, r.Epoch)
	b = append(b, make([]byte, 12)...)
	b = appendOpcode(b, r.Opcode, r.Nonce, r.Protocol, r.InternalPort, r.ExternalPort, r.ExternalAddr, r.PeerPort, r.PeerAddr)
	return appendOptions(b, r.Options)
}

// ParseResponse parses a PCP response (a client's reading of the answer
// to its request, or of an unsolicited ANNOUNCE). Unknown options are
// kept; a response with a short opcode payload is an error unless it
// is an error response that carries none.
func ParseResponse(b []byte) (Response, *Error) {
	var r Response
	if len(b) < HeaderLen || len(b) > MaxMessage || len(b)%4 != 0 {
		return r, &Error{Drop: true, Msg: "response length out of range"}
	}
	if b[0] != Version || b[1]&0x80 == 0 {
		return r, &Error{Drop: true, Msg: "not a PCP version 2 response"}
	}
	r.Opcode, r.Result = Opcode(b[1]&0x7f), Result(b[3])
	r.Lifetime = binary.BigEndian.Uint32(b[4:])
	r.Epoch = binary.BigEndian.Uint32(b[8:])
	rest := b[HeaderLen:]
	need := 0
	switch r.Opcode {
	case OpMap:
		need = mapLen
	case OpPeer:
		need = peerLen
	}
	if len(rest) < need {
		if r.Result != Success {
			return r, nil
		}
		return r, &Error{Drop: true, Msg: "short opcode payload"}
	}
	if need > 0 {
		r.Nonce = [12]byte(rest[:12])
		r.Protocol = rest[12]
		r.InternalPort = binary.BigEndian.Uint16(rest[16:])
		r.ExternalPort = binary.BigEndian.Uint16(rest[18:])
		r.ExternalAddr = getAddr(rest[20:])
		if r.Opcode == OpPeer {
			r.PeerPort = binary.BigEndian.Uint16(rest[36:])
			r.PeerAddr = getAddr(rest[40:])
		}
	}
	rest = rest[need:]
	for len(rest) >= 4 {
		n := int(binary.BigEndian.Uint16(rest[2:]))
		p := (n + 3) &^ 3
		if 4+p > len(rest) {
			break
		}
		r.Options = append(r.Options, Option{Code: OptionCode(rest[0]), Data: rest[4 : 4+n : 4+n]})
		rest = rest[4+p:]
	}
	return r, nil
}
