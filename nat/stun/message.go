package stun

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Dialect tells the two STUN framings apart.
type Dialect uint8

const (
	// RFC5389 messages carry the magic cookie 0x2112A442 and a 96-bit transaction ID.
	RFC5389 Dialect = iota + 1
	// Classic messages (RFC 3489) carry a 128-bit transaction ID and no cookie; TR-111 CPEs send these.
	Classic
)

func (d Dialect) String() string {
	switch d {
	case RFC5389:
		return "rfc5389"
	case Classic:
		return "rfc3489"
	}
	return fmt.Sprintf("dialect(%d)", uint8(d))
}

// MagicCookie is the fixed value RFC 5389 puts after the length field.
const MagicCookie uint32 = 0x2112A442

// HeaderSize is the size of the STUN header in both dialects.
const HeaderSize = 20

// Message types this package speaks; the values are the same in both dialects.
const (
	BindingRequest uint16 = 0x0001
	BindingSuccess uint16 = 0x0101
	BindingError   uint16 = 0x0111
)

// AttrType is a STUN attribute type; types below 0x8000 are comprehension-required.
type AttrType uint16

// Attribute types used by the server and the discovery client.
const (
	AttrMappedAddress     AttrType = 0x0001 // RFC 3489, RFC 5389
	AttrResponseAddress   AttrType = 0x0002 // RFC 3489 only
	AttrChangeRequest     AttrType = 0x0003 // RFC 3489, RFC 5780
	AttrSourceAddress     AttrType = 0x0004 // RFC 3489 only
	AttrChangedAddress    AttrType = 0x0005 // RFC 3489 only
	AttrUsername          AttrType = 0x0006
	AttrPassword          AttrType = 0x0007 // RFC 3489 only
	AttrMessageIntegrity  AttrType = 0x0008
	AttrErrorCode         AttrType = 0x0009
	AttrUnknownAttributes AttrType = 0x000A
	AttrReflectedFrom     AttrType = 0x000B // RFC 3489 only
	AttrXORMappedAddress  AttrType = 0x0020 // RFC 5389
	AttrPadding           AttrType = 0x0026 // RFC 5780
	AttrResponsePort      AttrType = 0x0027 // RFC 5780
	AttrSoftware          AttrType = 0x8022
	AttrFingerprint       AttrType = 0x8028
	AttrResponseOrigin    AttrType = 0x802B // RFC 5780
	AttrOtherAddress      AttrType = 0x802C // RFC 5780

	// AttrConnectionRequestBinding and AttrBindingChange are the TR-111 attributes.
	AttrConnectionRequestBinding AttrType = 0xC001
	AttrBindingChange            AttrType = 0xC002
)

// Required reports whether a receiver that does not know t must reject the message.
func (t AttrType) Required() bool { return t < 0x8000 }

func (t AttrType) String() string { return fmt.Sprintf("0x%04X", uint16(t)) }

// CHANGE-REQUEST flags (RFC 3489 §11.2.4, RFC 5780 §7.2).
const (
	ChangeIP   uint32 = 0x4
	ChangePort uint32 = 0x2
)

// Attr is one attribute as it was on the wire, padding removed.
type Attr struct {
	Type  AttrType
	Value []byte
}

// Message is a parsed STUN message of either dialect. Attributes are kept in
// wire order; unknown ones are kept raw.
type Message struct {
	Dialect Dialect
	Type    uint16
	// TransactionID is the 16 bytes after the length field: the whole
	// 128-bit ID in the classic dialect; the magic cookie then the 96-bit
	// ID in RFC 5389 (which is what XOR-MAPPED-ADDRESS is XORed with).
	TransactionID [16]byte
	Attrs         []Attr
}

// Get returns the value of the first attribute of type t.
func (m *Message) Get(t AttrType) ([]byte, bool) {
	for _, a := range m.Attrs {
		if a.Type == t {
			return a.Value, true
		}
	}
	return nil, false
}

// Has reports whether an attribute of type t is present.
func (m *Message) Has(t AttrType) bool {
	_, ok := m.Get(t)
	return ok
}

// Add appends an attribute.
func (m *Message) Add(t AttrType, v []byte) { m.Attrs = append(m.Attrs, Attr{Type: t, Value: v}) }

// Encode returns the wire form of m in its dialect.
func (m *Message) Encode() ([]byte, error) {
	switch m.Dialect {
	case Classic:
		return BuildClassic(m)
	case RFC5389:
		return BuildRFC5389(m)
	}
	return nil, fmt.Errorf("stun: encode: want dialect rfc5389 or rfc3489; got %v", m.Dialect)
}

// Parse decodes one datagram of either dialect: a magic cookie selects RFC
// 5389, anything else is taken as classic.
func Parse(b []byte) (*Message, error) {
	if len(b) >= 8 && binary.BigEndian.Uint32(b[4:8]) == MagicCookie {
		return ParseRFC5389(b)
	}
	return ParseClassic(b)
}

// ErrorCode returns the code and reason of an ERROR-CODE attribute.
func (m *Message) ErrorCode() (int, string, error) {
	v, ok := m.Get(AttrErrorCode)
	if !ok {
		return 0, "", errors.New("stun: no ERROR-CODE attribute")
	}
	if err := checkErrorCode(v); err != nil {
		return 0, "", err
	}
	return int(v[2])*100 + int(v[3]), string(v[4:]), nil
}

// ChangeRequest returns the CHANGE-REQUEST flags (0 when absent).
func (m *Message) ChangeRequest() (changeIP, changePort bool, err error) {
	v, ok := m.Get(AttrChangeRequest)
	if !ok {
		return false, false, nil
	}
	if len(v) != 4 {
		return false, false, fmt.Errorf("stun: CHANGE-REQUEST of %d bytes; want 4", len(v))
	}
	f := binary.BigEndian.Uint32(v)
	return f&ChangeIP != 0, f&ChangePort != 0, nil
}

// ResponsePort returns the RFC 5780 RESPONSE-PORT value.
func (m *Message) ResponsePort() (uint16, bool, error) {
	v, ok := m.Get(AttrResponsePort)
	if !ok {
		return 0, false, nil
	}
	if len(v) != 4 {
		return 0, false, fmt.Errorf("stun: RESPONSE-PORT of %d bytes; want 4", len(v))
	}
	return binary.BigEndian.Uint16(v), true, nil
}

// ErrorAttr builds an ERROR-CODE value.
func ErrorAttr(code int, reason string) Attr {
	v := make([]byte, 4, 4+len(reason))
	v[2] = byte(code / 100)
	v[3] = byte(code % 100)
	return Attr{Type: AttrErrorCode, Value: append(v, reason...)}
}

// ChangeRequestAttr builds a CHANGE-REQUEST value.
func ChangeRequestAttr(changeIP, changePort bool) Attr {
	var f uint32
	if changeIP {
		f |= ChangeIP
	}
	if changePort {
		f |= ChangePort
	}
	return Attr{Type: AttrChangeRequest, Value: binary.BigEndian.AppendUint32(nil, f)}
}

// UnknownAttributesAttr builds an UNKNOWN-ATTRIBUTES value listing ts.
func UnknownAttributesAttr(ts []AttrType) Attr {
	v := make([]byte, 0, 2*len(ts))
	for _, t := range ts {
		v = binary.BigEndian.AppendUint16(v, uint16(t))
	}
	return Attr{Type: AttrUnknownAttributes, Value: v}
}

func checkErrorCode(v []byte) error {
	if len(v) < 4 {
		return fmt.Errorf("stun: ERROR-CODE of %d bytes; want at least 4", len(v))
	}
	if class := v[2] & 0x7; v[2] != class || class < 3 || class > 6 || v[3] > 99 {
		return fmt.Errorf("stun: ERROR-CODE class %d number %d; want class 3..6, number 0..99", v[2], v[3])
	}
	return nil
}

// validate checks the values of the attributes this package interprets, so
// that a message that parses can be read without further surprises.
func validate(m *Message) error {
	for _, a := range m.Attrs {
		var err error
		switch a.Type {
		case AttrMappedAddress, AttrResponseAddress, AttrSourceAddress, AttrChangedAddress, AttrReflectedFrom,
			AttrResponseOrigin, AttrOtherAddress:
			_, err = decodeAddr(a.Value)
		case AttrXORMappedAddress:
			if m.Dialect == RFC5389 {
				_, err = decodeAddr(a.Value)
			}
		case AttrChangeRequest, AttrResponsePort:
			if len(a.Value) != 4 {
				err = fmt.Errorf("%d bytes; want 4", len(a.Value))
			}
		case AttrMessageIntegrity:
			if len(a.Value) != 20 {
				err = fmt.Errorf("%d bytes; want 20", len(a.Value))
			}
		case AttrErrorCode:
			err = checkErrorCode(a.Value)
		case AttrUnknownAttributes:
			if len(a.Value)%2 != 0 {
				err = fmt.Errorf("%d bytes; want a whole number of 16-bit types", len(a.Value))
			}
		}
		if err != nil {
			return fmt.Errorf("stun %v: attribute %v: %w", m.Dialect, a.Type, err)
		}
	}
	return nil
}
