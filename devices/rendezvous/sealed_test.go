package rendezvous

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	var k, other [32]byte
	rand.Read(k[:])
	rand.Read(other[:])
	for _, p := range []Sealed{
		{Session: 1, Seq: 1, Kind: KindPunch, Body: []byte{0}},
		{Session: 1, Seq: 2, Kind: KindPunch, Body: []byte{1}},
		{Session: 9, Seq: 1 << 40, Kind: KindPing, Body: []byte("12345678 payload")},
		{Session: 9, Seq: 3, Kind: KindPong, Body: []byte("12345678")},
	} {
		b, err := Seal(k, p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Open(k, b)
		if err != nil || got.Session != p.Session || got.Seq != p.Seq || got.Kind != p.Kind || !bytes.Equal(got.Body, p.Body) {
			t.Fatalf("round trip of %+v: %+v, %v", p, got, err)
		}
		if len(p.Body) >= 8 && bytes.Contains(b, p.Body) {
			t.Fatal("the body travels in clear")
		}
		if _, err := Open(other, b); !errors.Is(err, ErrForged) {
			t.Fatalf("seed 001 step 6: another session's key opens a packet: %v", err)
		}
		for i := range b {
			c := bytes.Clone(b)
			c[i] ^= 0x80
			if _, err := Open(k, c); err == nil {
				t.Fatalf("a change of byte %d opens", i)
			}
		}
	}
	if _, err := Seal(k, Sealed{Session: 1, Kind: KindPunch, Body: []byte{0}}); !errors.Is(err, ErrSeqZero) {
		t.Fatalf("seq 0: %v", err)
	}
	bad, _ := Seal(k, Sealed{Session: 1, Seq: 1, Kind: 7, Body: []byte("x")})
	if _, err := Open(k, bad); !errors.Is(err, ErrPlain) {
		t.Fatalf("unknown kind: got %v, want %v", err, ErrPlain)
	}
	short, _ := Seal(k, Sealed{Session: 1, Seq: 1, Kind: KindPing, Body: []byte("1234")})
	if _, err := Open(k, short); !errors.Is(err, ErrPlain) {
		t.Fatalf("ping without its stamp: got %v, want %v", err, ErrPlain)
	}
}

func FuzzOpen(f *testing.F) {
	var k [32]byte
	b, _ := Seal(k, Sealed{Session: 3, Seq: 4, Kind: KindPing, Body: []byte("12345678")})
	f.Add(b)
	f.Add([]byte{1, 16, 0, 4})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, err := ParseSealed(b); err != nil {
			return
		}
		p, err := Open(k, b)
		if err != nil {
			return
		}
		again, err := Seal(k, p)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("opened %x but sealing it again gives %x, %v", b, again, err)
		}
	})
}
