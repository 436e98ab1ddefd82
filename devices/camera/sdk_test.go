package camera

import (
	"errors"
	"reflect"
	"testing"
)

func TestSDKRoundTrip(t *testing.T) {
	for _, f := range []SDKFrame{
		{Type: SDKLogin, Seq: 1, User: "admin", Password: "admin"},
		{Type: SDKLogin, Seq: 2},
		{Type: SDKLoginOK, Seq: 1, Session: 0xdeadbeef, Serial: "lin0-cam0"},
		{Type: SDKLoginDenied, Seq: 7, Reason: SDKBadCredentials},
		{Type: SDKKeepalive, Seq: 9, Session: 42},
		{Type: SDKKeepaliveAck, Seq: 9, Session: 42},
	} {
		b, err := f.Marshal()
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		got, n, err := ParseSDK(append(b, 'B'))
		if err != nil || n != len(b) || !reflect.DeepEqual(got, f) {
			t.Fatalf("BXSDK/1 round trip of %+v: got %+v, %d of %d bytes, %v", f, got, n, len(b), err)
		}
		for i := range b {
			if _, _, err := ParseSDK(b[:i]); !errors.Is(err, ErrSDKShort) {
				t.Fatalf("%+v cut at %d: got %v, want ErrSDKShort", f, i, err)
			}
		}
	}
}

func TestParseSDKRefuses(t *testing.T) {
	login, _ := SDKFrame{Type: SDKLogin, User: "u", Password: "p"}.Marshal()
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), login...)) }
	for name, b := range map[string][]byte{
		"magic":                     mod(func(b []byte) []byte { b[0] = 'H'; return b }),
		"second magic byte":         mod(func(b []byte) []byte { b[1] = 'Y'; return b }),
		"version 2":                 mod(func(b []byte) []byte { b[2] = 2; return b }),
		"unknown type":              mod(func(b []byte) []byte { b[3] = 99; return b }),
		"body longer than 255":      mod(func(b []byte) []byte { b[6], b[7] = 1, 0; return b }),
		"user length past the body": mod(func(b []byte) []byte { b[8] = 200; return b }),
		"login with trailing bytes": mod(func(b []byte) []byte { b[7]++; return append(b, 0) }),
		"keepalive of 3 bytes":      {'B', 'X', 1, 4, 0, 0, 0, 3, 1, 2, 3},
		"denied without a reason":   {'B', 'X', 1, 3, 0, 0, 0, 0},
		"an HTTP request":           []byte("GET / HTTP/1.0\r\n\r\n"),
	} {
		if _, _, err := ParseSDK(b); !errors.Is(err, ErrSDK) {
			t.Errorf("%s: got %v, want ErrSDK", name, err)
		}
	}
	if _, err := (SDKFrame{Type: 42}).Marshal(); err == nil {
		t.Error("type 42 marshalled")
	}
}

func FuzzParseSDK(f *testing.F) {
	for _, fr := range []SDKFrame{{Type: SDKLogin, User: "admin", Password: "admin"}, {Type: SDKLoginOK, Session: 1, Serial: "s"}, {Type: SDKKeepalive, Session: 3}} {
		b, _ := fr.Marshal()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := ParseSDK(b)
		if err != nil {
			return
		}
		again, err := fr.Marshal()
		if err != nil {
			t.Fatalf("parsed %x but cannot marshal %+v: %v", b, fr, err)
		}
		if string(again) != string(b[:n]) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b[:n])
		}
	})
}
