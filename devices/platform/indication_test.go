package platform

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

func TestIndicationRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Indication
	}{
		{"seed 002 S6: UDP trigger with PD1", Indication{Camera: netip.MustParseAddrPort("192.168.1.101:5060"),
			Server: netip.MustParseAddrPort("198.19.0.2:5060"), Command: SendUDPTrigger, ID: 7, PD1: []byte("OPTIONS sip:cam SIP/2.0\r\n\r\n")}},
		{"seed 002 S6: ③ optional (absent)", Indication{Camera: netip.MustParseAddrPort("10.0.0.5:5060"),
			Server: netip.AddrPortFrom(netip.Addr{}, 5060), Command: SendUDPTrigger, ID: 1, PD1: []byte("x")}},
		{"seed 002 variant: TCP SYN, PD1 empty", Indication{Camera: netip.MustParseAddrPort("192.168.1.101:554"),
			Server: netip.MustParseAddrPort("198.19.0.2:40001"), Command: SendTCPSyn, ID: 0xffffffff}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.in.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseIndication(b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Camera != tc.in.Camera || got.Command != tc.in.Command || got.ID != tc.in.ID || !bytes.Equal(got.PD1, tc.in.PD1) {
				t.Fatalf("round trip: got %+v, want %+v", got, tc.in)
			}
			def := netip.MustParseAddr("198.19.0.9")
			want := tc.in.Server
			if !want.Addr().IsValid() {
				want = netip.AddrPortFrom(def, want.Port())
			}
			if got.ServerOr(def) != want {
				t.Fatalf("server: got %v, want %v", got.ServerOr(def), want)
			}
		})
	}
}

func TestParseIndicationRefuses(t *testing.T) {
	good, err := Indication{Camera: netip.MustParseAddrPort("192.168.1.101:5060"),
		Server: netip.MustParseAddrPort("198.19.0.2:5060"), Command: SendUDPTrigger, PD1: []byte("pd1")}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"header cut", good[:19], ErrShort},
		{"version 2", mod(func(b []byte) []byte { b[0] = 2; return b }), ErrVersion},
		{"length says more than sent", mod(func(b []byte) []byte { return b[:len(b)-1] }), ErrLength},
		{"trailing garbage", mod(func(b []byte) []byte { return append(b, 0) }), ErrLength},
		{"⑤ unknown command", mod(func(b []byte) []byte { b[1] = 9; return b }), ErrCommand},
		{"① camera IP 0.0.0.0", mod(func(b []byte) []byte { copy(b[4:8], []byte{0, 0, 0, 0}); return b }), ErrCamera},
		{"② camera port 0", mod(func(b []byte) []byte { b[8], b[9] = 0, 0; return b }), ErrCamera},
		{"④ server port 0", mod(func(b []byte) []byte { b[14], b[15] = 0, 0; return b }), ErrServerPort},
		{"TCP SYN with PD1", mod(func(b []byte) []byte { b[1] = byte(SendTCPSyn); return b }), ErrTCPWithPD1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseIndication(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	long := Indication{Camera: netip.MustParseAddrPort("192.168.1.101:5060"), Server: netip.MustParseAddrPort("198.19.0.2:5060"),
		Command: SendUDPTrigger, PD1: make([]byte, MaxPD1+1)}
	if _, err := long.Marshal(); !errors.Is(err, ErrPD1TooLong) {
		t.Fatalf("PD1 of %d bytes: got %v, want %v", MaxPD1+1, err, ErrPD1TooLong)
	}
}

func FuzzParseIndication(f *testing.F) {
	seed, _ := Indication{Camera: netip.MustParseAddrPort("192.168.1.101:5060"),
		Server: netip.MustParseAddrPort("198.19.0.2:5060"), Command: SendUDPTrigger, PD1: []byte("OPTIONS")}.Marshal()
	f.Add(seed)
	f.Add([]byte{1, 2, 0, 20, 192, 168, 1, 1, 2, 42, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := ParseIndication(b)
		if err != nil {
			return
		}
		again, err := in.Marshal()
		if err != nil {
			t.Fatalf("parsed %x but cannot marshal it: %v", b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
		}
	})
}
