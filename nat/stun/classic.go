package stun

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// ParseClassic decodes an RFC 3489 message: a 20-byte header with a 128-bit
// transaction ID, then type-length-value attributes padded to 4 bytes. The
// length field must match the datagram exactly. The last attribute may omit
// its padding: some TR-111 CPEs send the 19-byte CONNECTION-REQUEST-BINDING
// "dslforum.org/TR-111" unpadded.
func ParseClassic(b []byte) (*Message, error) {
	m, body, err := parseHeader(b, Classic)
	if err != nil {
		return nil, err
	}
	for off := 0; off < len(body); {
		if len(body)-off < 4 {
			return nil, fmt.Errorf("stun rfc3489: %d bytes left at offset %d; want a 4-byte attribute header", len(body)-off, HeaderSize+off)
		}
		t := AttrType(binary.BigEndian.Uint16(body[off:]))
		n := int(binary.BigEndian.Uint16(body[off+2:]))
		start := off + 4
		if start+n > len(body) {
			return nil, fmt.Errorf("stun rfc3489: attribute %v at offset %d claims %d bytes; only %d left", t, HeaderSize+off, n, len(body)-start)
		}
		m.Attrs = append(m.Attrs, Attr{Type: t, Value: clone(body[start : start+n])})
		off = start + padded(n)
		if off > len(body) {
			if start+n != len(body) {
				return nil, fmt.Errorf("stun rfc3489: attribute %v at offset %d: padding runs past the message", t, HeaderSize+start-4)
			}
			off = len(body) // unpadded last attribute
		}
	}
	if err := validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

// BuildClassic encodes m as an RFC 3489 message (whatever m.Dialect says),
// padding every attribute to 4 bytes with zeros.
func BuildClassic(m *Message) ([]byte, error) {
	b, err := appendHeader(m)
	if err != nil {
		return nil, err
	}
	for _, a := range m.Attrs {
		if len(a.Value) > 0xFFFF {
			return nil, fmt.Errorf("stun rfc3489: attribute %v of %d bytes; want at most 65535", a.Type, len(a.Value))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(a.Type))
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.Value)))
		b = append(b, a.Value...)
		b = append(b, make([]byte, padded(len(a.Value))-len(a.Value))...)
	}
	return finishLength(b, Classic)
}

// parseHeader checks the header shared by both dialects and returns the
// attribute bytes.
func parseHeader(b []byte, d Dialect) (*Message, []byte, error) {
	if len(b) < HeaderSize {
		return nil, nil, fmt.Errorf("stun %v: %d bytes; want at least the %d-byte header", d, len(b), HeaderSize)
	}
	typ := binary.BigEndian.Uint16(b[0:2])
	if typ&0xC000 != 0 {
		return nil, nil, fmt.Errorf("stun %v: message type 0x%04X; want the two top bits zero", d, typ)
	}
	if n := int(binary.BigEndian.Uint16(b[2:4])); HeaderSize+n != len(b) {
		return nil, nil, fmt.Errorf("stun %v: length field says %d bytes of attributes; datagram has %d", d, n, len(b)-HeaderSize)
	}
	m := &Message{Dialect: d, Type: typ, TransactionID: [16]byte(b[4:HeaderSize])}
	return m, b[HeaderSize:], nil
}

func appendHeader(m *Message) ([]byte, error) {
	if m.Type&0xC000 != 0 {
		return nil, fmt.Errorf("stun: message type 0x%04X; want the two top bits zero", m.Type)
	}
	b := make([]byte, HeaderSize, 128)
	binary.BigEndian.PutUint16(b[0:2], m.Type)
	copy(b[4:], m.TransactionID[:])
	return b, nil
}

func finishLength(b []byte, d Dialect) ([]byte, error) {
	n := len(b) - HeaderSize
	if n > 0xFFFF {
		return nil, fmt.Errorf("stun %v: %d bytes of attributes; want at most 65535", d, n)
	}
	binary.BigEndian.PutUint16(b[2:4], uint16(n))
	return b, nil
}

func padded(n int) int { return (n + 3) &^ 3 }

func clone(b []byte) []byte { return append([]byte{}, b...) }

// NewClassicTransactionID returns a random 128-bit transaction ID that does
// not start with the magic cookie (so the message cannot pass for RFC 5389).
func NewClassicTransactionID() [16]byte {
	var tid [16]byte
	for {
		rand.Read(tid[:])
		if binary.BigEndian.Uint32(tid[:4]) != MagicCookie {
			return tid
		}
	}
}
