package pcp

import (
	"encoding/binary"
	"fmt"
)

// PCP protocol constants (RFC 6887 §7).
const (
	Version    = 2    // the PCP version this package speaks
	HeaderLen  = 24   // request and response common headers
	MaxMessage = 1100 // the largest PCP message (§7)
)

// Opcode is a PCP opcode (RFC 6887 §19.2).
type Opcode uint8

// The opcodes of RFC 6887.
const (
	OpAnnounce Opcode = 0 // §14.1
	OpMap      Opcode = 1 // §11
	OpPeer     Opcode = 2 // §12
)

func (o Opcode) String() string {
	switch o {
	case OpAnnounce:
		return "ANNOUNCE"
	case OpMap:
		return "MAP"
	case OpPeer:
		return "PEER"
	}
	return fmt.Sprintf("opcode-%d", uint8(o))
}

// Result is a PCP result code (RFC 6887 §7.4).
type Result uint8

// The result codes of RFC 6887 §7.4.
const (
	Success               Result = 0
	UnsuppVersion         Result = 1
	NotAuthorized         Result = 2
	MalformedRequest      Result = 3
	UnsuppOpcode          Result = 4
	UnsuppOption          Result = 5
	MalformedOption       Result = 6
	NetworkFailure        Result = 7
	NoResources           Result = 8
	UnsuppProtocol        Result = 9
	UserExQuota           Result = 10
	CannotProvideExternal Result = 11
	AddressMismatch       Result = 12
	ExcessiveRemotePeers  Result = 13
)

var resultNames = [...]string{"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED", "MALFORMED_REQUEST", "UNSUPP_OPCODE",
	"UNSUPP_OPTION", "MALFORMED_OPTION", "NETWORK_FAILURE", "NO_RESOURCES", "UNSUPP_PROTOCOL", "USER_EX_QUOTA",
	"CANNOT_PROVIDE_EXTERNAL", "ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS"}

func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("result-%d", uint8(r))
}

// LongTermError says whether r is one of the errors RFC 6887 §7.4 calls
// long-term (the condition will not clear by itself soon); a server gives
// those a long lifetime (e.g. 30 min) and the others a short one (30 s).
func (r Result) LongTermError() bool {
	switch r {
	case UnsuppVersion, NotAuthorized, MalformedRequest, UnsuppOpcode, UnsuppOption, MalformedOption, UnsuppProtocol,
		AddressMismatch:
		return true
	}
	return false
}

// Error is a request a PCP server must answer with an error result (or
// drop): what ParseRequest found wrong.
type Error struct {
	Result Result // the code to answer with
	Drop   bool   // silently drop instead (§8.3: shorter than 2 octets, or a response)
	Msg    string
}

func (e *Error) Error() string {
	if e.Drop {
		return "pcp: dropped: " + e.Msg
	}
	return "pcp: " + e.Result.String() + ": " + e.Msg
}

func bad(r Result, format string, a ...any) *Error {
	return &Error{Result: r, Msg: fmt.Sprintf(format, a...)}
}

// ErrorResponse builds the error response to request b (RFC 6887 §7.2,
// §8.3): the request copied (at most MaxMessage octets, whole 32-bit words,
// at least a header) with the R bit set, the result code, the lifetime the
// error holds for and the server's epoch, the header's reserved octets
// zeroed. An UNSUPP_VERSION answer is a bare header carrying version 2, the
// version the server speaks (§9).
func ErrorResponse(b []byte, res Result, lifetime, epoch uint32) []byte {
	n := min(len(b), MaxMessage) &^ 3
	if n < HeaderLen || res == UnsuppVersion {
		n = HeaderLen
	}
	out := make([]byte, n)
	copy(out, b)
	var op byte
	if len(b) > 1 {
		op = b[1] & 0x7f
	}
	out[0], out[1], out[2], out[3] = Version, 0x80|op, 0, byte(res)
	binary.BigEndian.PutUint32(out[4:], lifetime)
	binary.BigEndian.PutUint32(out[8:], epoch)
	clear(out[12:HeaderLen])
	return out
}
