package rendezvous

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// SealedHeaderLen is the clear part of a sealed packet: the common header,
// the session id and the sequence number.
const SealedHeaderLen = HeaderLen + 8 + 8

// MaxPlain bounds what one sealed packet carries.
const MaxPlain = MaxMessage - SealedHeaderLen - chacha20poly1305.Overhead

// Kind is the first byte of a sealed packet's plaintext, so an observer
// cannot tell hole punching from data.
type Kind uint8

// Plaintext kinds.
const (
	KindPunch Kind = 1 // body: one byte, 1 if the sender has heard the receiver
	KindPing  Kind = 2 // body: 8-byte send stamp, then any payload
	KindPong  Kind = 3 // body: the ping's stamp echoed
)

// Sealed is a device-to-device packet: the clear header and, once opened,
// the plaintext.
type Sealed struct {
	Session uint64
	Seq     uint64
	Kind    Kind
	Body    []byte
}

// Errors of the sealed layer.
var (
	ErrSealedShort = errors.New("sealed: shorter than header and tag")
	ErrSeqZero     = errors.New("sealed: sequence number 0")
	ErrForged      = errors.New("sealed: authentication failed")
	ErrPlain       = errors.New("sealed: bad plaintext")
)

// ParseSealed checks a sealed packet's header and returns the session and
// sequence number, without opening it.
func ParseSealed(b []byte) (session, seq uint64, err error) {
	t, err := Peek(b)
	if err != nil {
		return 0, 0, err
	}
	if t != TSealed {
		return 0, 0, fmt.Errorf("%w %s; want sealed", ErrType, t)
	}
	if len(b) < SealedHeaderLen+chacha20poly1305.Overhead+1 {
		return 0, 0, ErrSealedShort
	}
	session, seq = binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])
	if seq == 0 {
		return 0, 0, ErrSeqZero
	}
	return session, seq, nil
}

func nonce(seq uint64) []byte {
	var n [chacha20poly1305.NonceSize]byte
	binary.BigEndian.PutUint64(n[4:], seq)
	return n[:]
}

// Seal encrypts p under key (ChaCha20-Poly1305, nonce from the sequence
// number, the clear header as associated data). Seq must never repeat under
// one key: the caller counts.
func Seal(key [32]byte, p Sealed) ([]byte, error) {
	if p.Seq == 0 {
		return nil, ErrSeqZero
	}
	if len(p.Body)+1 > MaxPlain {
		return nil, fmt.Errorf("%w: %d bytes, want <= %d", ErrPlain, len(p.Body)+1, MaxPlain)
	}
	aead, err := chacha20poly1305.New(key[:])
	if err != nil {
		return nil, err
	}
	b := make([]byte, SealedHeaderLen, SealedHeaderLen+1+len(p.Body)+aead.Overhead())
	b[0], b[1] = Version, byte(TSealed)
	binary.BigEndian.PutUint16(b[2:], uint16(cap(b)))
	binary.BigEndian.PutUint64(b[4:], p.Session)
	binary.BigEndian.PutUint64(b[12:], p.Seq)
	plain := append([]byte{byte(p.Kind)}, p.Body...)
	return aead.Seal(b, nonce(p.Seq), plain, b[:SealedHeaderLen]), nil
}

// Open authenticates and decrypts a sealed packet under key. A failure is
// ErrForged whatever the cause: a wrong key (an old session's) and an
// altered byte look the same.
func Open(key [32]byte, b []byte) (Sealed, error) {
	session, seq, err := ParseSealed(b)
	if err != nil {
		return Sealed{}, err
	}
	aead, err := chacha20poly1305.New(key[:])
	if err != nil {
		return Sealed{}, err
	}
	plain, err := aead.Open(nil, nonce(seq), b[SealedHeaderLen:], b[:SealedHeaderLen])
	if err != nil {
		return Sealed{}, ErrForged
	}
	p := Sealed{Session: session, Seq: seq, Kind: Kind(plain[0]), Body: plain[1:]}
	switch {
	case p.Kind == KindPunch && len(p.Body) == 1 && p.Body[0] <= 1:
	case (p.Kind == KindPing || p.Kind == KindPong) && len(p.Body) >= 8:
	default:
		return Sealed{}, fmt.Errorf("%w: kind %d with %d bytes", ErrPlain, p.Kind, len(p.Body))
	}
	return p, nil
}
