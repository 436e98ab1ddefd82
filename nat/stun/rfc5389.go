package stun

import (
	"encoding/binary"
	"fmt"

	pion "github.com/pion/stun/v3"
)

// ParseRFC5389 decodes an RFC 5389 message with pion/stun and adds what
// pion leaves to the caller: the datagram holds exactly one message, the
// length is a multiple of 4, FINGERPRINT (if any) is last and correct, and
// the attributes this package reads are well-formed.
func ParseRFC5389(b []byte) (*Message, error) {
	m, _, err := parseHeader(b, RFC5389)
	if err != nil {
		return nil, err
	}
	if binary.BigEndian.Uint32(b[4:8]) != MagicCookie {
		return nil, fmt.Errorf("stun rfc5389: cookie 0x%08X; want 0x%08X", binary.BigEndian.Uint32(b[4:8]), MagicCookie)
	}
	if (len(b)-HeaderSize)%4 != 0 {
		return nil, fmt.Errorf("stun rfc5389: %d bytes of attributes; want a multiple of 4", len(b)-HeaderSize)
	}
	pm := &pion.Message{Raw: clone(b)}
	if err := pm.Decode(); err != nil {
		return nil, fmt.Errorf("stun rfc5389: %w", err)
	}
	for i, a := range pm.Attributes {
		if a.Type == pion.AttrFingerprint {
			if i != len(pm.Attributes)-1 {
				return nil, fmt.Errorf("stun rfc5389: FINGERPRINT is attribute %d of %d; want it last", i+1, len(pm.Attributes))
			}
			if err := pion.Fingerprint.Check(pm); err != nil {
				return nil, fmt.Errorf("stun rfc5389: %w", err)
			}
		}
		m.Attrs = append(m.Attrs, Attr{Type: AttrType(a.Type), Value: clone(a.Value)})
	}
	if err := validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

// BuildRFC5389 encodes m as an RFC 5389 message with pion/stun (whatever
// m.Dialect says): the cookie replaces the first 4 bytes of the transaction
// ID.
func BuildRFC5389(m *Message) ([]byte, error) {
	return buildRFC5389(m, false)
}

// BuildRFC5389Fingerprint is BuildRFC5389 with a FINGERPRINT appended.
func BuildRFC5389Fingerprint(m *Message) ([]byte, error) {
	return buildRFC5389(m, true)
}

func buildRFC5389(m *Message, fingerprint bool) ([]byte, error) {
	if m.Type&0xC000 != 0 {
		return nil, fmt.Errorf("stun rfc5389: message type 0x%04X; want the two top bits zero", m.Type)
	}
	pm := pion.New()
	pm.Type.ReadValue(m.Type)
	copy(pm.TransactionID[:], m.TransactionID[4:])
	pm.WriteHeader()
	total := 0
	for _, a := range m.Attrs {
		if len(a.Value) > 0xFFFF {
			return nil, fmt.Errorf("stun rfc5389: attribute %v of %d bytes; want at most 65535", a.Type, len(a.Value))
		}
		if total += 4 + padded(len(a.Value)); total > 0xFFFF-8 {
			return nil, fmt.Errorf("stun rfc5389: attributes exceed 65535 bytes")
		}
		pm.Add(pion.AttrType(a.Type), a.Value)
	}
	if fingerprint {
		if err := pion.Fingerprint.AddTo(pm); err != nil {
			return nil, fmt.Errorf("stun rfc5389: %w", err)
		}
	}
	return pm.Raw, nil
}

// NewTransactionID returns a random RFC 5389 transaction ID, cookie first.
func NewTransactionID() [16]byte {
	var tid [16]byte
	binary.BigEndian.PutUint32(tid[:4], MagicCookie)
	id := pion.NewTransactionID()
	copy(tid[4:], id[:])
	return tid
}
