package rendezvous

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// DefaultKDF is the Argon2id cost the server announces unless its options
// say otherwise: OWASP's minimum (19 MiB, 2 passes, 1 lane).
var DefaultKDF = KDF{Time: 2, MemoryKiB: 19 << 10, Threads: 1}

// DeviceKeys are what a device's password turns into: Argon2id over the
// password with the server's per-device salt, then HKDF-SHA256 into a MAC
// key for control messages and a wrap key for session keys.
type DeviceKeys struct {
	Auth [32]byte
	Wrap [32]byte
}

// SaltFor is the Argon2id salt the server gives device id: unique per device
// and per server secret, stable across restarts so a device's cached keys
// stay valid.
func SaltFor(serverSecret, id string) [NonceLen]byte {
	m := hmac.New(sha256.New, []byte("boxlab-rendezvous salt\x00"+serverSecret))
	m.Write([]byte(id))
	return [NonceLen]byte(m.Sum(nil))
}

// DeriveDeviceKeys runs the KDF; it costs k.MemoryKiB of memory and tens of
// milliseconds, so both sides cache its result (see KeyCache).
func DeriveDeviceKeys(password string, k KDF) DeviceKeys {
	master := argon2.IDKey([]byte(password), k.Salt[:], k.Time, k.MemoryKiB, k.Threads, 32)
	var d DeviceKeys
	copy(d.Auth[:], expand(master, "boxlab-rendezvous device auth"))
	copy(d.Wrap[:], expand(master, "boxlab-rendezvous device wrap"))
	return d
}

func expand(prk []byte, info string) []byte {
	out, err := hkdf.Expand(sha256.New, prk, info, 32)
	if err != nil { // only for lengths above 255*32
		panic(err)
	}
	return out
}

// DerivedPassword is the password of device id in a generated registry
// (server option generate, device option password_seed): both sides compute
// it from the shared seed, so a load scenario needs no list of passwords.
func DerivedPassword(seed, id string) string {
	m := hmac.New(sha256.New, []byte(seed))
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Sign marshals m with its MAC computed under auth over every byte before it.
func Sign(m *Msg, auth [32]byte) ([]byte, error) {
	m.MAC = [MACLen]byte{}
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	copy(b[len(b)-MACLen:], mac(auth, Authenticated(b)))
	copy(m.MAC[:], b[len(b)-MACLen:])
	return b, nil
}

// Verify reports whether the marshalled message b (one of the MAC'd types)
// carries a valid MAC under auth; constant time.
func Verify(b []byte, auth [32]byte) bool {
	a := Authenticated(b)
	if a == nil {
		return false
	}
	return hmac.Equal(mac(auth, a), b[len(b)-MACLen:])
}

func mac(key [32]byte, data []byte) []byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(data)
	return m.Sum(nil)
}

// ErrUnwrap is returned when a wrapped key does not open: wrong password,
// or an offer changed on the way.
var ErrUnwrap = errors.New("rendezvous: session key does not unwrap (wrong password or altered offer)")

// offerAD is the part of a marshalled offer its key wrapping authenticates:
// everything before the wrap nonce, so the peer's id and endpoint, the
// session id and the recipient's role cannot be changed either.
func offerAD(b []byte) []byte { return b[:len(b)-WrapNonce-WrappedLen] }

// SealOffer marshals an offer with the session key sealed under the
// recipient's wrap key (XChaCha20-Poly1305, fresh random nonce from rnd).
func SealOffer(m *Msg, wrap, sessionKey [32]byte, rnd io.Reader) ([]byte, error) {
	m.Type = TOffer
	return sealWrapped(m, wrap, sessionKey, rnd)
}

// OpenOffer unwraps the session key of the marshalled offer b under wrap.
func OpenOffer(b []byte, wrap [32]byte) ([32]byte, error) { return openWrapped(b, TOffer, wrap) }

// TURNDigestLen is the length of a TURN REST password's HMAC-SHA1 digest:
// the password is its standard base64.
const TURNDigestLen = 20

// SealGrant marshals a relay grant with the TURN password's HMAC-SHA1
// digest (zero-padded to 32 bytes) sealed under the recipient's wrap key,
// like an offer's session key: only the device the grant is for learns the
// password, and nothing in the grant can be changed on the way.
func SealGrant(m *Msg, wrap [32]byte, digest [TURNDigestLen]byte, rnd io.Reader) ([]byte, error) {
	m.Type = TRelayGrant
	var secret [32]byte
	copy(secret[:], digest[:])
	return sealWrapped(m, wrap, secret, rnd)
}

// OpenGrant unwraps the TURN password of the marshalled relay grant b
// under wrap: base64 of the digest, as TURN REST credentials have it.
func OpenGrant(b []byte, wrap [32]byte) (string, error) {
	secret, err := openWrapped(b, TRelayGrant, wrap)
	if err != nil {
		return "", err
	}
	if [32 - TURNDigestLen]byte(secret[TURNDigestLen:]) != [32 - TURNDigestLen]byte{} {
		return "", ErrUnwrap
	}
	return base64.StdEncoding.EncodeToString(secret[:TURNDigestLen]), nil
}

// sealWrapped marshals m (an offer or a grant, both ending in wrap nonce
// and wrapped secret) with secret sealed under wrap.
func sealWrapped(m *Msg, wrap, secret [32]byte, rnd io.Reader) ([]byte, error) {
	if _, err := io.ReadFull(rnd, m.WrapNonce[:]); err != nil {
		return nil, fmt.Errorf("%s nonce: %w", m.Type, err)
	}
	m.Wrapped = [WrappedLen]byte{}
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(wrap[:])
	if err != nil {
		return nil, err
	}
	sealed := aead.Seal(nil, m.WrapNonce[:], secret[:], offerAD(b))
	copy(b[len(b)-WrappedLen:], sealed)
	copy(m.Wrapped[:], sealed)
	return b, nil
}

// openWrapped unwraps the secret of the marshalled message b of type t.
func openWrapped(b []byte, t Type, wrap [32]byte) ([32]byte, error) {
	var key [32]byte
	if len(b) < HeaderLen+WrapNonce+WrappedLen || Type(b[1]) != t {
		return key, ErrUnwrap
	}
	aead, err := chacha20poly1305.NewX(wrap[:])
	if err != nil {
		return key, err
	}
	nonce := b[len(b)-WrappedLen-WrapNonce : len(b)-WrappedLen]
	plain, err := aead.Open(nil, nonce, b[len(b)-WrappedLen:], offerAD(b))
	if err != nil || len(plain) != 32 {
		return key, ErrUnwrap
	}
	return [32]byte(plain), nil
}

// TrafficKeys are the two directions of a session, derived from its key
// with HKDF-SHA256 (salt: the session id): each side seals with its own
// direction key, so the two sequence spaces never share a nonce.
type TrafficKeys struct {
	CallerToCallee [32]byte
	CalleeToCaller [32]byte
}

// DeriveTrafficKeys derives a session's direction keys.
func DeriveTrafficKeys(sessionKey [32]byte, session uint64) TrafficKeys {
	salt := binary.BigEndian.AppendUint64(nil, session)
	var t TrafficKeys
	for _, d := range []struct {
		dst  *[32]byte
		info string
	}{{&t.CallerToCallee, "boxlab-peer caller to callee"}, {&t.CalleeToCaller, "boxlab-peer callee to caller"}} {
		k, err := hkdf.Key(sha256.New, sessionKey[:], salt, d.info, 32)
		if err != nil {
			panic(err)
		}
		copy(d.dst[:], k)
	}
	return t
}

// KeyCache computes DeriveDeviceKeys once per (password, parameters, salt)
// and shares the result; concurrent callers for the same entry wait for the
// one computation.
type KeyCache struct {
	mu sync.Mutex
	m  map[cacheKey]*cachedKeys
}

type cacheKey struct {
	password string
	kdf      KDF
}

type cachedKeys struct {
	once sync.Once
	keys DeviceKeys
}

// Get returns the keys of password under k, deriving them on first use.
func (c *KeyCache) Get(password string, k KDF) DeviceKeys {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[cacheKey]*cachedKeys{}
	}
	e := c.m[cacheKey{password, k}]
	if e == nil {
		e = &cachedKeys{}
		c.m[cacheKey{password, k}] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.keys = DeriveDeviceKeys(password, k) })
	return e.keys
}
