package pcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Well-known ports and the group of unsolicited announcements (RFC 6886
// §3.1, §3.2.1; RFC 6887 §19.1, §14.1.3).
const (
	ServerPort = 5351 // requests go to the gateway's LAN address here
	ClientPort = 5350 // announcements arrive here
)

// AllNodes is 224.0.0.1, where a gateway multicasts NAT-PMP address
// announcements and PCP ANNOUNCE responses.
var AllNodes = netip.AddrFrom4([4]byte{224, 0, 0, 1})

// NAT-PMP opcodes (RFC 6886 §3.2, §3.3); a response's opcode is 128 + the
// request's.
const (
	PMPOpAddr   = 0
	PMPOpMapUDP = 1
	PMPOpMapTCP = 2
)

// NAT-PMP result codes (RFC 6886 §3.5).
const (
	PMPSuccess          = 0
	PMPUnsuppVersion    = 1
	PMPNotAuthorized    = 2 // refused (e.g. the box supports mapping but the user turned it off)
	PMPNetworkFailure   = 3 // e.g. the NAT has no external address
	PMPOutOfResources   = 4 // no free port, or too many mappings
	PMPUnsuppOpcode     = 5
	PMPDefaultLifetime  = 7200 // the lifetime RFC 6886 §3.3 recommends asking for
	pmpMapRequestLen    = 12
	pmpAddrResponseLen  = 12
	pmpMapResponseLen   = 16
	pmpErrorResponseLen = 8
)

// PMPRequest is a NAT-PMP request: an external-address request (Op 0) or a
// map request (Op 1 UDP, 2 TCP) with its internal port, suggested external
// port and requested lifetime in seconds (0 deletes, RFC 6886 §3.4).
type PMPRequest struct {
	Op           uint8
	InternalPort uint16
	ExternalPort uint16
	Lifetime     uint32
}

// Errors of ParsePMPRequest. A server answers ErrPMPVersion with
// PMPUnsuppVersion and ErrPMPOpcode with PMPUnsuppOpcode (RFC 6886 §3.5)
// and drops ErrPMPShort.
var (
	ErrPMPShort   = errors.New("nat-pmp: request too short")
	ErrPMPVersion = errors.New("nat-pmp: unsupported version")
	ErrPMPOpcode  = errors.New("nat-pmp: unsupported opcode")
)

// ParsePMPRequest parses a NAT-PMP request. With ErrPMPVersion or
// ErrPMPOpcode the returned Op is the request's, for the error response.
func ParsePMPRequest(b []byte) (PMPRequest, error) {
	if len(b) < 2 {
		return PMPRequest{}, ErrPMPShort
	}
	r := PMPRequest{Op: b[1]}
	if b[0] != 0 {
		return r, fmt.Errorf("%w %d", ErrPMPVersion, b[0])
	}
	switch r.Op {
	case PMPOpAddr:
		return r, nil
	case PMPOpMapUDP, PMPOpMapTCP:
	default:
		return r, fmt.Errorf("%w %d", ErrPMPOpcode, r.Op)
	}
	if len(b) < pmpMapRequestLen {
		return r, fmt.Errorf("%w: map request of %d bytes; want %d", ErrPMPShort, len(b), pmpMapRequestLen)
	}
	r.InternalPort = binary.BigEndian.Uint16(b[4:])
	r.ExternalPort = binary.BigEndian.Uint16(b[6:])
	r.Lifetime = binary.BigEndian.Uint32(b[8:])
	return r, nil
}

// Append encodes the request.
func (r PMPRequest) Append(b []byte) []byte {
	b = append(b, 0, r.Op)
	if r.Op == PMPOpAddr {
		return b
	}
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, r.InternalPort)
	b = binary.BigEndian.AppendUint16(b, r.ExternalPort)
	return binary.BigEndian.AppendUint32(b, r.Lifetime)
}

// PMPResponse is a NAT-PMP response to a request of opcode Op (the wire
// carries 128+Op). Epoch is the gateway's seconds since start of epoch.
// External is set for Op 0; the ports and lifetime for Op 1 and 2.
type PMPResponse struct {
	Op           uint8
	Result       uint16
	Epoch        uint32
	External     netip.Addr
	InternalPort uint16
	ExternalPort uint16
	Lifetime     uint32
}

// Append encodes the response: 12 bytes for an external address, 16 for a
// mapping, 8 (header and epoch) for any other opcode or a version error,
// as miniupnpd sends them.
func (r PMPResponse) Append(b []byte) []byte {
	b = append(b, 0, 128+r.Op)
	b = binary.BigEndian.AppendUint16(b, r.Result)
	b = binary.BigEndian.AppendUint32(b, r.Epoch)
	switch {
	case r.Result == PMPUnsuppVersion || r.Result == PMPUnsuppOpcode:
		return b
	case r.Op == PMPOpAddr:
		a := [4]byte{}
		if r.External.Is4() {
			a = r.External.As4()
		}
		return append(b, a[:]...)
	case r.Op == PMPOpMapUDP || r.Op == PMPOpMapTCP:
		b = binary.BigEndian.AppendUint16(b, r.InternalPort)
		b = binary.BigEndian.AppendUint16(b, r.ExternalPort)
		return binary.BigEndian.AppendUint32(b, r.Lifetime)
	}
	return b
}

// ParsePMPResponse parses a NAT-PMP response (what a client or a
// listener on port 5350 receives).
func ParsePMPResponse(b []byte) (PMPResponse, error) {
	if len(b) < pmpErrorResponseLen {
		return PMPResponse{}, fmt.Errorf("nat-pmp: response of %d bytes; want at least %d", len(b), pmpErrorResponseLen)
	}
	if b[0] != 0 || b[1] < 128 {
		return PMPResponse{}, fmt.Errorf("nat-pmp: version %d opcode %d is not a NAT-PMP response", b[0], b[1])
	}
	r := PMPResponse{Op: b[1] - 128, Result: binary.BigEndian.Uint16(b[2:]), Epoch: binary.BigEndian.Uint32(b[4:])}
	if r.Result != PMPSuccess && len(b) == pmpErrorResponseLen {
		return r, nil
	}
	switch r.Op {
	case PMPOpAddr:
		if len(b) < pmpAddrResponseLen {
			return r, fmt.Errorf("nat-pmp: address response of %d bytes; want %d", len(b), pmpAddrResponseLen)
		}
		r.External = netip.AddrFrom4([4]byte(b[8:12]))
	case PMPOpMapUDP, PMPOpMapTCP:
		if len(b) < pmpMapResponseLen {
			return r, fmt.Errorf("nat-pmp: map response of %d bytes; want %d", len(b), pmpMapResponseLen)
		}
		r.InternalPort = binary.BigEndian.Uint16(b[8:])
		r.ExternalPort = binary.BigEndian.Uint16(b[10:])
		r.Lifetime = binary.BigEndian.Uint32(b[12:])
	}
	return r, nil
}

// PMPProto is the NAT-PMP map opcode of "udp" or "tcp" (0 if neither).
func PMPProto(proto string) uint8 {
	switch proto {
	case "udp":
		return PMPOpMapUDP
	case "tcp":
		return PMPOpMapTCP
	}
	return 0
}
