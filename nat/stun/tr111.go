package stun

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"

	pion "github.com/pion/stun/v3"
)

// CRBValue is the value of CONNECTION-REQUEST-BINDING a TR-111 CPE sends
// (TR-111 part 2; note the trailing space).
const CRBValue = "dslforum.org/TR-111 "

// IsCRB reports whether v is a CONNECTION-REQUEST-BINDING value: the
// TR-111 string with or without its trailing space (some CPEs drop it).
func IsCRB(v []byte) bool {
	return string(bytes.TrimSuffix(v, []byte(" "))) == CRBValue[:len(CRBValue)-1]
}

// ErrNoIntegrity is returned by CheckIntegrity for a message without
// MESSAGE-INTEGRITY.
var ErrNoIntegrity = errors.New("stun: no MESSAGE-INTEGRITY")

// ErrIntegrity is returned by CheckIntegrity when the HMAC does not match.
var ErrIntegrity = errors.New("stun: MESSAGE-INTEGRITY mismatch")

const miSize = 4 + sha1.Size // attribute header + HMAC-SHA1

// EncodeSigned encodes m in its dialect with MESSAGE-INTEGRITY keyed with
// password (short-term credentials: the key is the password itself). A
// classic message gets the RFC 3489 §11.2.8 HMAC over the message up to
// MESSAGE-INTEGRITY zero-padded to a multiple of 64 bytes, with the length
// field already counting MESSAGE-INTEGRITY; an RFC 5389 message gets pion's
// MESSAGE-INTEGRITY then FINGERPRINT.
func EncodeSigned(m *Message, password string) ([]byte, error) {
	switch m.Dialect {
	case Classic:
		b, err := BuildClassic(m)
		if err != nil {
			return nil, err
		}
		return appendClassicIntegrity(b, []byte(password))
	case RFC5389:
		return buildRFC5389Signed(m, password)
	}
	return nil, fmt.Errorf("stun: encode signed: want dialect rfc5389 or rfc3489; got %v", m.Dialect)
}

func appendClassicIntegrity(b, key []byte) ([]byte, error) {
	if len(b)-HeaderSize+miSize > 0xFFFF {
		return nil, fmt.Errorf("stun rfc3489: message too long for MESSAGE-INTEGRITY")
	}
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)-HeaderSize+miSize))
	sum := classicHMAC(b, key)
	b = binary.BigEndian.AppendUint16(b, uint16(AttrMessageIntegrity))
	b = binary.BigEndian.AppendUint16(b, sha1.Size)
	return append(b, sum...), nil
}

// classicHMAC is HMAC-SHA1(key, text zero-padded to a multiple of 64 bytes).
func classicHMAC(text, key []byte) []byte {
	h := hmac.New(sha1.New, key)
	h.Write(text)
	if r := len(text) % 64; r != 0 {
		h.Write(make([]byte, 64-r))
	}
	return h.Sum(nil)
}

func buildRFC5389Signed(m *Message, password string) ([]byte, error) {
	for _, a := range m.Attrs {
		if a.Type == AttrMessageIntegrity || a.Type == AttrFingerprint {
			return nil, fmt.Errorf("stun rfc5389: attribute %v is added by EncodeSigned; remove it", a.Type)
		}
	}
	b, err := BuildRFC5389(m)
	if err != nil {
		return nil, err
	}
	pm := &pion.Message{Raw: b}
	if err := pm.Decode(); err != nil {
		return nil, fmt.Errorf("stun rfc5389: %w", err)
	}
	if err := pion.NewShortTermIntegrity(password).AddTo(pm); err != nil {
		return nil, fmt.Errorf("stun rfc5389: %w", err)
	}
	if err := pion.Fingerprint.AddTo(pm); err != nil {
		return nil, fmt.Errorf("stun rfc5389: %w", err)
	}
	return pm.Raw, nil
}

// CheckIntegrity verifies the MESSAGE-INTEGRITY of the datagram b (already
// accepted by Parse) against password, in b's dialect. A classic message
// must have MESSAGE-INTEGRITY as its last attribute (RFC 3489 §11.2.8: what
// follows it is not authenticated); an RFC 5389 message may follow it only
// with FINGERPRINT. It returns ErrNoIntegrity or ErrIntegrity on failure.
func CheckIntegrity(b []byte, password string) error {
	if len(b) >= 8 && binary.BigEndian.Uint32(b[4:8]) == MagicCookie {
		pm := &pion.Message{Raw: clone(b)}
		if err := pm.Decode(); err != nil {
			return fmt.Errorf("stun rfc5389: %w", err)
		}
		if !pm.Contains(pion.AttrMessageIntegrity) {
			return ErrNoIntegrity
		}
		for i, a := range pm.Attributes {
			if a.Type == pion.AttrMessageIntegrity && i < len(pm.Attributes)-1 &&
				(i != len(pm.Attributes)-2 || pm.Attributes[i+1].Type != pion.AttrFingerprint) {
				return fmt.Errorf("stun rfc5389: MESSAGE-INTEGRITY followed by attributes other than FINGERPRINT")
			}
		}
		if err := pion.NewShortTermIntegrity(password).Check(pm); err != nil {
			return ErrIntegrity
		}
		return nil
	}
	off, err := classicIntegrityOffset(b)
	if err != nil {
		return err
	}
	if !hmac.Equal(classicHMAC(b[:off], []byte(password)), b[off+4:off+miSize]) {
		return ErrIntegrity
	}
	return nil
}

// classicIntegrityOffset finds the MESSAGE-INTEGRITY attribute header in a
// classic datagram and checks that it is the last attribute.
func classicIntegrityOffset(b []byte) (int, error) {
	if len(b) < HeaderSize || HeaderSize+int(binary.BigEndian.Uint16(b[2:4])) != len(b) {
		return 0, fmt.Errorf("stun rfc3489: not a well-formed message")
	}
	for off := HeaderSize; off+4 <= len(b); {
		t := AttrType(binary.BigEndian.Uint16(b[off:]))
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if t == AttrMessageIntegrity {
			if n != sha1.Size || off+miSize != len(b) {
				return 0, fmt.Errorf("stun rfc3489: MESSAGE-INTEGRITY of %d bytes at offset %d; want 20 bytes, last", n, off)
			}
			return off, nil
		}
		off += 4 + padded(n)
	}
	return 0, ErrNoIntegrity
}
