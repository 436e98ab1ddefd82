package rendezvous

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// messages is one valid message of every control type.
func messages() []Msg {
	ep := netip.MustParseAddrPort("198.18.0.7:40000")
	return []Msg{
		{Type: THello, ID: "lin0-stb0", User: "stb"},
		{Type: THello, ID: "stb7"},
		{Type: TChallenge, ID: "lin0-stb0", Nonce: [NonceLen]byte{1, 2, 3}, KDF: KDF{Time: 2, MemoryKiB: 19456, Threads: 1, Salt: [NonceLen]byte{9}}},
		{Type: TRegister, ID: "lin0-stb0", User: "stb", Nonce: [NonceLen]byte{1, 2, 3}, MAC: [MACLen]byte{4}},
		{Type: TRegistered, ID: "lin0-stb0", Overlay: netip.MustParseAddr("10.200.0.1"), Public: ep, Heartbeat: 5000, Expires: 60000, MAC: [MACLen]byte{5}},
		{Type: TRefused, Reason: TargetOffline, ID: "lin0-stb0", Seq: 9, Text: "target offline"},
		{Type: THeartbeat, ID: "lin0-stb0", Seq: 1, MAC: [MACLen]byte{6}},
		{Type: THeartbeatAck, ID: "lin0-stb0", Seq: 1, Public: ep, MAC: [MACLen]byte{7}},
		{Type: TConnect, ID: "lin0-stb0", Target: "sym0-stb0", Seq: 2, MAC: [MACLen]byte{8}},
		{Type: TOffer, ID: "lin0-stb0", Target: "sym0-stb0", Session: 77, Seq: 2, Caller: true, Overlay: netip.MustParseAddr("10.200.0.2"), Public: ep,
			WrapNonce: [WrapNonce]byte{1}, Wrapped: [WrappedLen]byte{2}},
		{Type: TOffer, ID: "sym0-stb0", Target: "lin0-stb0", Session: 77, Overlay: netip.MustParseAddr("10.200.0.1"), Public: ep},
		{Type: TReady, ID: "lin0-stb0", Session: 77, Seq: 3, MAC: [MACLen]byte{9}},
		{Type: TRefused, Reason: NoRelay, ID: "lin0-stb0", Seq: 4, Text: "no relay"},
		{Type: TRelayReq, ID: "lin0-stb0", Session: 77, Seq: 4, MAC: [MACLen]byte{10}},
		{Type: TRelayGrant, ID: "lin0-stb0", Session: 77, Seq: 4, Public: netip.MustParseAddrPort("198.18.0.9:3478"), User: "1795000000:lin0-stb0",
			WrapNonce: [WrapNonce]byte{3}, Wrapped: [WrappedLen]byte{4}},
		{Type: TRelayAddr, ID: "lin0-stb0", Session: 77, Seq: 5, Public: netip.MustParseAddrPort("198.18.0.9:50000"), MAC: [MACLen]byte{11}},
		{Type: TRelayPeer, ID: "sym0-stb0", Session: 77, Public: netip.MustParseAddrPort("198.18.0.9:50000"), MAC: [MACLen]byte{12}},
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	for _, m := range messages() {
		t.Run(m.Type.String(), func(t *testing.T) {
			b, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if int(binary.BigEndian.Uint16(b[2:])) != len(b) || b[0] != Version {
				t.Fatalf("header %x: want version %d and length %d", b[:4], Version, len(b))
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	hello, _ := (&Msg{Type: THello, ID: "stb0", User: "stb"}).Marshal()
	hb, _ := (&Msg{Type: THeartbeat, ID: "stb0", Seq: 1}).Marshal()
	ch, _ := (&Msg{Type: TChallenge, ID: "stb0", KDF: KDF{Time: 1, MemoryKiB: 64, Threads: 1}}).Marshal()
	mod := func(b []byte, f func(b []byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	fixLen := func(b []byte) []byte { binary.BigEndian.PutUint16(b[2:], uint16(len(b))); return b }
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"header cut", hello[:3], ErrShort},
		{"version 2", mod(hello, func(b []byte) []byte { b[0] = 2; return b }), ErrVersion},
		{"length says more", mod(hello, func(b []byte) []byte { return b[:len(b)-1] }), ErrLength},
		{"trailing byte, length unchanged", mod(hello, func(b []byte) []byte { return append(b, 0) }), ErrLength},
		{"trailing byte, length covers it", mod(hello, func(b []byte) []byte { return fixLen(append(b, 0)) }), ErrTrail},
		{"unknown type", mod(hello, func(b []byte) []byte { b[1] = 99; return b }), ErrType},
		{"sealed is not a control message", mod(hello, func(b []byte) []byte { b[1] = byte(TSealed); return b }), ErrType},
		{"empty id", fixLen([]byte{1, byte(THello), 0, 0, 0, 0}), ErrField},
		{"id with a space", fixLen(append([]byte{1, byte(THello), 0, 0, 3}, "a b\x00"...)), ErrField},
		{"id with a control byte", fixLen(append([]byte{1, byte(THello), 0, 0, 3}, "a\x01b\x00"...)), ErrField},
		{"string longer than the datagram", fixLen([]byte{1, byte(THello), 0, 0, 200, 'a'}), ErrField},
		{"heartbeat seq 0", mod(hb, func(b []byte) []byte { binary.BigEndian.PutUint64(b[9:], 0); return b }), ErrField},
		{"heartbeat without its MAC", mod(hb, func(b []byte) []byte { return fixLen(b[:len(b)-MACLen]) }), ErrField},
		{"challenge with 0 passes", mod(ch, func(b []byte) []byte { binary.BigEndian.PutUint32(b[4+5+NonceLen:], 0); return b }), ErrField},
		{"challenge asking for 1 TiB", mod(ch, func(b []byte) []byte { binary.BigEndian.PutUint32(b[4+5+NonceLen+4:], 1<<30); return b }), ErrField},
		{"too long", fixLen(append([]byte{1, byte(THello)}, make([]byte, MaxMessage-1)...)), ErrLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRefusedReasonsAndOfferRole(t *testing.T) {
	b, _ := (&Msg{Type: TRefused, Reason: UnknownDevice, ID: "x", Text: "unknown device"}).Marshal()
	b[4] = 0
	if _, err := Parse(b); !errors.Is(err, ErrField) {
		t.Fatalf("reason 0: got %v, want %v", err, ErrField)
	}
	o, _ := (&Msg{Type: TOffer, ID: "a", Target: "b", Session: 1}).Marshal()
	o[4+2+2+8+8] = 3
	if _, err := Parse(o); !errors.Is(err, ErrField) {
		t.Fatalf("offer role 3: got %v, want %v", err, ErrField)
	}
	if _, err := (&Msg{Type: TOffer, ID: "a", Target: "b"}).Marshal(); !errors.Is(err, ErrField) {
		t.Fatalf("offer for session 0: got %v, want %v", err, ErrField)
	}
	if _, err := (&Msg{Type: THello, ID: string(bytes.Repeat([]byte("a"), 65))}).Marshal(); !errors.Is(err, ErrField) {
		t.Fatalf("65-byte id: got %v, want %v", err, ErrField)
	}
}

func FuzzParse(f *testing.F) {
	for _, m := range messages() {
		b, _ := m.Marshal()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 1, 0, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		again, err := m.Marshal()
		if err != nil {
			t.Fatalf("parsed %x but cannot marshal it: %v", b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
		}
	})
}
