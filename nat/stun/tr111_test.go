package stun

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"testing"
)

func keepalive(d Dialect, crb string, change bool) *Message {
	tid := NewClassicTransactionID()
	if d == RFC5389 {
		tid = NewTransactionID()
	}
	m := &Message{Dialect: d, Type: BindingRequest, TransactionID: tid}
	m.Add(AttrUsername, []byte("cpe-00000001"))
	m.Add(AttrConnectionRequestBinding, []byte(crb))
	if change {
		m.Add(AttrBindingChange, nil)
	}
	return m
}

func TestIsCRB(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{
		{"dslforum.org/TR-111 ", true}, // TR-111 part 2: the value, trailing space included
		{"dslforum.org/TR-111", true},  // reference §1.2: some CPEs drop the space
		{"dslforum.org/TR-111  ", false},
		{"dslforum.org/TR-069 ", false},
		{"", false},
	} {
		if got := IsCRB([]byte(c.v)); got != c.want {
			t.Errorf("IsCRB(%q) = %v; want %v", c.v, got, c.want)
		}
	}
}

// RFC 3489 §11.2.8: HMAC over the text before MESSAGE-INTEGRITY padded with
// zeros to a multiple of 64 bytes, computed here independently of the codec.
func TestClassicIntegrityIsPaddedTo64(t *testing.T) {
	for _, crb := range []string{CRBValue, "dslforum.org/TR-111"} {
		b, err := EncodeSigned(keepalive(Classic, crb, true), "s3cret")
		if err != nil {
			t.Fatal(err)
		}
		if got := int(binary.BigEndian.Uint16(b[2:4])); got != len(b)-HeaderSize {
			t.Fatalf("length field %d; want %d (MESSAGE-INTEGRITY counted)", got, len(b)-HeaderSize)
		}
		text := append([]byte{}, b[:len(b)-24]...)
		for len(text)%64 != 0 {
			text = append(text, 0)
		}
		h := hmac.New(sha1.New, []byte("s3cret"))
		h.Write(text)
		if !hmac.Equal(h.Sum(nil), b[len(b)-20:]) {
			t.Fatalf("RFC 3489 §11.2.8: HMAC is not over the 64-byte padded text")
		}
		m, err := Parse(b)
		if err != nil || m.Dialect != Classic {
			t.Fatalf("signed classic message does not parse: %v", err)
		}
		if err := CheckIntegrity(b, "s3cret"); err != nil {
			t.Errorf("CheckIntegrity(right password) = %v", err)
		}
	}
}

func TestIntegrityBothDialects(t *testing.T) {
	for _, d := range []Dialect{Classic, RFC5389} {
		b, err := EncodeSigned(keepalive(d, CRBValue, false), "pw")
		if err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		if _, err := Parse(b); err != nil {
			t.Fatalf("%v: signed message does not parse: %v", d, err)
		}
		if err := CheckIntegrity(b, "pw"); err != nil {
			t.Errorf("%v: right password: %v", d, err)
		}
		if err := CheckIntegrity(b, "wrong"); !errors.Is(err, ErrIntegrity) {
			t.Errorf("%v: wrong password: %v; want ErrIntegrity", d, err)
		}
		tampered := append([]byte{}, b...)
		tampered[HeaderSize+5] ^= 1 // a USERNAME byte
		if err := CheckIntegrity(tampered, "pw"); err == nil {
			t.Errorf("%v: a changed USERNAME passes integrity", d)
		}
		plain, _ := keepalive(d, CRBValue, false).Encode()
		if err := CheckIntegrity(plain, "pw"); !errors.Is(err, ErrNoIntegrity) {
			t.Errorf("%v: unsigned: %v; want ErrNoIntegrity", d, err)
		}
	}
}

func TestClassicIntegrityMustBeLast(t *testing.T) {
	b, _ := EncodeSigned(keepalive(Classic, CRBValue, false), "pw")
	b = append(b, 0x80, 0x22, 0, 4, 'x', 'x', 'x', 'x') // SOFTWARE after MI
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)-HeaderSize))
	if err := CheckIntegrity(b, "pw"); err == nil {
		t.Error("RFC 3489 §11.2.8: an attribute after MESSAGE-INTEGRITY is unauthenticated; want refused")
	}
}

func FuzzCheckIntegrity(f *testing.F) {
	for _, d := range []Dialect{Classic, RFC5389} {
		b, _ := EncodeSigned(keepalive(d, CRBValue, true), "pw")
		f.Add(b)
	}
	f.Add(tr111Request(CRBValue))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Parse(b); err != nil {
			return
		}
		_ = CheckIntegrity(b, "pw") // must not panic
	})
}
