package rendezvous

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/netip"
	"testing"
)

// cheap keeps Argon2id fast in unit tests; the cost is a parameter, the
// algorithm is the same.
var cheap = KDF{Time: 1, MemoryKiB: 64, Threads: 1, Salt: SaltFor("test", "stb0")}

func TestDeviceKeys(t *testing.T) {
	a := DeriveDeviceKeys("right", cheap)
	if a != DeriveDeviceKeys("right", cheap) {
		t.Fatal("the KDF is not deterministic")
	}
	if a.Auth == a.Wrap {
		t.Fatal("auth and wrap keys are equal; HKDF must separate them")
	}
	if a == DeriveDeviceKeys("wrong", cheap) {
		t.Fatal("two passwords give the same keys")
	}
	other := cheap
	other.Salt = SaltFor("test", "stb1")
	if a == DeriveDeviceKeys("right", other) {
		t.Fatal("two devices with one password share keys; the salt must differ")
	}
	var c KeyCache
	if c.Get("right", cheap) != a || c.Get("right", cheap) != a {
		t.Fatal("cache returns other keys")
	}
	if DerivedPassword("seed", "stb0") == DerivedPassword("seed", "stb1") || DerivedPassword("seed", "stb0") != DerivedPassword("seed", "stb0") {
		t.Fatal("derived passwords must be stable per id and differ across ids")
	}
}

func TestSignVerify(t *testing.T) {
	k := DeriveDeviceKeys("right", cheap)
	b, err := Sign(&Msg{Type: TConnect, ID: "stb0", Target: "stb1", Seq: 3}, k.Auth)
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(b, k.Auth) {
		t.Fatal("own signature refused")
	}
	if Verify(b, DeriveDeviceKeys("wrong", cheap).Auth) {
		t.Fatal("seed 001: an impostor's password verifies")
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x40
		if Verify(c, k.Auth) {
			t.Fatalf("a change of byte %d verifies", i)
		}
	}
	if Verify(b[:10], k.Auth) || Verify(nil, k.Auth) {
		t.Fatal("a cut message verifies")
	}
}

func TestOfferWrapping(t *testing.T) {
	k := DeriveDeviceKeys("right", cheap)
	var session [32]byte
	rand.Read(session[:])
	m := &Msg{ID: "stb0", Target: "stb1", Session: 5, Seq: 2, Caller: true, Overlay: netip.MustParseAddr("10.200.0.2"),
		Public: netip.MustParseAddrPort("198.18.0.3:4000")}
	b, err := SealOffer(m, k.Wrap, session, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(b); err != nil {
		t.Fatalf("a sealed offer does not parse: %v", err)
	}
	got, err := OpenOffer(b, k.Wrap)
	if err != nil || got != session {
		t.Fatalf("unwrap: %v", err)
	}
	if bytes.Contains(b, session[:]) {
		t.Fatal("the session key travels in clear")
	}
	if _, err := OpenOffer(b, DeriveDeviceKeys("wrong", cheap).Wrap); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("seed 001: a wrong password unwraps: %v", err)
	}
	for _, tc := range []struct {
		name string
		at   int
	}{{"peer endpoint", len(b) - WrappedLen - WrapNonce - 1}, {"session id", 4 + 1 + 4 + 1 + 4 + 3}, {"wrapped key", len(b) - 1}, {"nonce", len(b) - WrappedLen - 1}} {
		c := bytes.Clone(b)
		c[tc.at] ^= 1
		if _, err := OpenOffer(c, k.Wrap); !errors.Is(err, ErrUnwrap) {
			t.Errorf("offer with its %s changed opens: %v", tc.name, err)
		}
	}
	m2 := *m
	b2, _ := SealOffer(&m2, k.Wrap, session, rand.Reader)
	if bytes.Equal(b, b2) {
		t.Fatal("two wrappings of one key are equal: the nonce must be fresh")
	}
}

func TestTrafficKeys(t *testing.T) {
	var key [32]byte
	rand.Read(key[:])
	a := DeriveTrafficKeys(key, 1)
	if a.CallerToCallee == a.CalleeToCaller {
		t.Fatal("both directions share a key: their nonces would collide")
	}
	if a == DeriveTrafficKeys(key, 2) {
		t.Fatal("the session id does not enter the derivation")
	}
}

// BenchmarkDeviceKeys measures what registering one device costs each side
// once (Argon2id at the default cost), against the HMAC check every later
// control message costs, measured in the same run.
func BenchmarkDeviceKeys(b *testing.B) {
	k := DefaultKDF
	k.Salt = SaltFor("bench", "stb0")
	var argon, mac float64
	b.Run("argon2id-default", func(b *testing.B) {
		for b.Loop() {
			DeriveDeviceKeys("password", k)
		}
		argon = float64(b.Elapsed()) / float64(b.N)
	})
	keys := DeriveDeviceKeys("password", cheap)
	msg, _ := Sign(&Msg{Type: THeartbeat, ID: "stb0", Seq: 1}, keys.Auth)
	b.Run("hmac-verify-baseline", func(b *testing.B) {
		for b.Loop() {
			Verify(msg, keys.Auth)
		}
		mac = float64(b.Elapsed()) / float64(b.N)
	})
	if mac > 0 {
		b.Logf("one Argon2id derivation costs %.0fx a heartbeat's HMAC check (%.1f ms vs %.2f µs)", argon/mac, argon/1e6, mac/1e3)
	}
}

// BenchmarkSealOpen measures one session packet each way against copying
// it, measured in the same run.
func BenchmarkSealOpen(b *testing.B) {
	var k [32]byte
	body := make([]byte, 64)
	var seq uint64
	b.Run("seal+open", func(b *testing.B) {
		for b.Loop() {
			seq++
			p, _ := Seal(k, Sealed{Session: 1, Seq: seq, Kind: KindPing, Body: body})
			Open(k, p)
		}
	})
	b.Run("copy-baseline", func(b *testing.B) {
		dst := make([]byte, 128)
		for b.Loop() {
			copy(dst, body)
		}
	})
}

func TestGrantWrapsTheTURNPassword(t *testing.T) {
	wrap := DeriveDeviceKeys("pw", KDF{Time: 1, MemoryKiB: 64, Threads: 1}).Wrap
	other := DeriveDeviceKeys("other", KDF{Time: 1, MemoryKiB: 64, Threads: 1}).Wrap
	digest := [TURNDigestLen]byte{1, 2, 3, 250}
	m := &Msg{ID: "a", Session: 5, Seq: 2, Public: netip.MustParseAddrPort("198.18.0.9:3478"), User: "1795000000:a"}
	b, err := SealGrant(m, wrap, digest, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := OpenGrant(b, wrap)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(digest[:]); pw != want {
		t.Fatalf("password %q, want %q", pw, want)
	}
	if _, err := OpenGrant(b, other); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("other device's key: %v, want ErrUnwrap", err)
	}
	for i := HeaderLen; i < len(b)-WrapNonce-WrappedLen; i++ { // user name, endpoint, session: all covered
		bad := append([]byte(nil), b...)
		bad[i] ^= 1
		if _, err := OpenGrant(bad, wrap); err == nil {
			t.Fatalf("byte %d altered and the grant still opens", i)
		}
	}
	if _, err := OpenOffer(b, wrap); !errors.Is(err, ErrUnwrap) {
		t.Fatal("a grant must not open as an offer")
	}
}

// FuzzOpenWrapped: whatever arrives as an offer or a grant, unwrapping
// refuses it without panicking (only a genuine one opens).
func FuzzOpenWrapped(f *testing.F) {
	wrap := DeriveDeviceKeys("pw", KDF{Time: 1, MemoryKiB: 64, Threads: 1}).Wrap
	g, _ := SealGrant(&Msg{ID: "a", Session: 5, Seq: 2, Public: netip.MustParseAddrPort("198.18.0.9:3478"), User: "1795000000:a"}, wrap, [TURNDigestLen]byte{1}, bytes.NewReader(make([]byte, WrapNonce)))
	o, _ := SealOffer(&Msg{ID: "a", Target: "b", Session: 5}, wrap, [32]byte{2}, bytes.NewReader(make([]byte, WrapNonce))) // fixed nonces: every fuzz worker builds the same seeds
	f.Add(g)
	f.Add(o)
	f.Add([]byte{1, 12, 0, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := OpenGrant(b, wrap); err == nil && !bytes.Equal(b, g) {
			t.Fatalf("a grant nobody sealed opened: %x", b)
		}
		if _, err := OpenOffer(b, wrap); err == nil && !bytes.Equal(b, o) {
			t.Fatalf("an offer nobody sealed opened: %x", b)
		}
	})
}
