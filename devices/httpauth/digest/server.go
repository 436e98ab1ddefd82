package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices/httpauth/internal/httpsyntax"
)

// Why a request was refused. Every error Check returns wraps one of these.
var (
	ErrMissing   = errors.New("no Digest credentials")
	ErrMalformed = errors.New("malformed credentials")
	ErrStale     = errors.New("nonce expired or from another server instance")
	ErrReplay    = errors.New("nonce count already used")
	ErrUser      = errors.New("unknown user")
	ErrBadDigest = errors.New("wrong response digest")
)

// maxNCPerNonce bounds the replay memory of one nonce; past it the client
// must take a fresh nonce (answered as stale).
const maxNCPerNonce = 4096

// Server issues challenges and checks credentials for one realm. It is safe
// for concurrent use.
type Server struct {
	Realm    string
	Password func(user string) (string, bool) // the user's password, false if no such user
	Now      func() time.Time                 // the clock nonces are stamped and expired with
	TTL      time.Duration                    // a nonce is good this long after it was issued

	key    [32]byte
	opaque string

	mu    sync.Mutex
	seen  map[string]*nonceUse // nonce -> accepted nonce counts
	calls int
}

type nonceUse struct {
	issued time.Time
	nc     map[uint32]struct{}
}

// NewServer makes a server with a fresh nonce key and opaque value.
func NewServer(realm string, password func(string) (string, bool), now func() time.Time, ttl time.Duration) *Server {
	s := &Server{Realm: realm, Password: password, Now: now, TTL: ttl, seen: map[string]*nonceUse{}}
	rand.Read(s.key[:])
	var op [16]byte
	rand.Read(op[:])
	s.opaque = base64.RawURLEncoding.EncodeToString(op[:])
	return s
}

// Challenges are the WWW-Authenticate values of a 401: SHA-256 first, then
// MD5 for RFC 2617 clients (RFC 7616 §3.7: most preferred first).
func (s *Server) Challenges(stale bool) []string {
	nonce := s.newNonce()
	out := make([]string, 0, 2)
	for _, alg := range []Algorithm{SHA256, MD5} {
		c := Challenge{Realm: s.Realm, Nonce: nonce, Opaque: s.opaque, Algorithm: alg, Qop: "auth", Stale: stale}
		out = append(out, c.String())
	}
	return out
}

// nonce = base64url(issued unix nanos (8) | random (8) | HMAC-SHA256 of both (16)).
func (s *Server) newNonce() string {
	var b [32]byte
	binary.BigEndian.PutUint64(b[:8], uint64(s.Now().UnixNano()))
	rand.Read(b[8:16])
	m := hmac.New(sha256.New, s.key[:])
	m.Write(b[:16])
	copy(b[16:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// nonceTime returns when a nonce of ours was issued, false if it is not ours.
func (s *Server) nonceTime(nonce string) (time.Time, bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 32 {
		return time.Time{}, false
	}
	m := hmac.New(sha256.New, s.key[:])
	m.Write(b[:16])
	if !hmac.Equal(m.Sum(nil)[:16], b[16:]) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))), true
}

// Check verifies an Authorization header of a request with method and uri
// (the request-target as sent) and returns the authenticated user. The
// error wraps ErrMissing, ErrMalformed, ErrStale, ErrReplay, ErrUser or
// ErrBadDigest; answer ErrStale with Challenges(true).
func (s *Server) Check(method, uri, authorization string) (string, error) {
	if authorization == "" {
		return "", ErrMissing
	}
	if scheme, _, _ := strings.Cut(strings.TrimLeft(authorization, " \t"), " "); !strings.EqualFold(scheme, "Digest") {
		return "", fmt.Errorf("%w: scheme %q", ErrMissing, httpsyntax.Clip(scheme))
	}
	_, p, err := ParseHeader(authorization)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	cr, err := credentials(p)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if cr.Realm != s.Realm {
		return "", fmt.Errorf("%w: realm %q; want %q", ErrMalformed, cr.Realm, s.Realm)
	}
	if cr.URI != uri {
		return "", fmt.Errorf("%w: uri %q does not match the request %q", ErrMalformed, cr.URI, uri)
	}
	if subtle.ConstantTimeCompare([]byte(cr.Opaque), []byte(s.opaque)) != 1 {
		return "", fmt.Errorf("%w: opaque does not match", ErrStale)
	}
	issued, ok := s.nonceTime(cr.Nonce)
	if !ok {
		return "", fmt.Errorf("%w: nonce not issued by this server", ErrStale)
	}
	now := s.Now()
	if now.Sub(issued) > s.TTL || issued.After(now.Add(time.Second)) {
		return "", fmt.Errorf("%w: nonce issued %v ago; TTL %v", ErrStale, now.Sub(issued), s.TTL)
	}
	pass, ok := s.Password(cr.Username)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUser, cr.Username)
	}
	want := Response(Input{Algorithm: cr.Algorithm, Username: cr.Username, Realm: s.Realm, Password: pass,
		Method: method, URI: uri, Nonce: cr.Nonce, NC: cr.ncText, Cnonce: cr.Cnonce, Qop: cr.Qop})
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(cr.Response)), []byte(want)) != 1 {
		return "", fmt.Errorf("%w for user %q", ErrBadDigest, cr.Username)
	}
	if err := s.useNC(cr.Nonce, issued, cr.NC, now); err != nil {
		return "", err
	}
	return cr.Username, nil
}

// useNC records nc as used under nonce; a second use is a replay.
func (s *Server) useNC(nonce string, issued time.Time, nc uint32, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls%1024 == 0 {
		for n, u := range s.seen {
			if now.Sub(u.issued) > s.TTL {
				delete(s.seen, n)
			}
		}
	}
	u := s.seen[nonce]
	if u == nil {
		u = &nonceUse{issued: issued, nc: map[uint32]struct{}{}}
		s.seen[nonce] = u
	}
	if _, used := u.nc[nc]; used {
		return fmt.Errorf("%w: nc=%08x", ErrReplay, nc)
	}
	if len(u.nc) >= maxNCPerNonce {
		return fmt.Errorf("%w: nonce used %d times", ErrStale, len(u.nc))
	}
	u.nc[nc] = struct{}{}
	return nil
}

// Credentials are the parsed parameters of an Authorization: Digest header.
type Credentials struct {
	Username, Realm, Nonce, URI, Response, Cnonce, Opaque, Qop string
	Algorithm                                                  Algorithm
	NC                                                         uint32
	ncText                                                     string
}

func credentials(p Params) (Credentials, error) {
	var c Credentials
	for _, k := range []string{"username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce"} {
		if p[k] == "" {
			return c, fmt.Errorf("missing %s", k)
		}
	}
	if _, ok := p["username*"]; ok {
		return c, errors.New("username* is not supported")
	}
	if p["userhash"] != "" && !strings.EqualFold(p["userhash"], "false") {
		return c, errors.New("userhash is not supported")
	}
	alg, err := ParseAlgorithm(p["algorithm"])
	if err != nil {
		return c, err
	}
	if p["qop"] != "auth" {
		return c, fmt.Errorf("qop %q; want auth", p["qop"])
	}
	if len(p["nc"]) != 8 {
		return c, fmt.Errorf("nc %q; want 8 hex digits", p["nc"])
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 32)
	if err != nil {
		return c, fmt.Errorf("nc %q; want 8 hex digits", p["nc"])
	}
	c = Credentials{Username: p["username"], Realm: p["realm"], Nonce: p["nonce"], URI: p["uri"], Response: p["response"],
		Cnonce: p["cnonce"], Opaque: p["opaque"], Qop: p["qop"], Algorithm: alg, NC: uint32(nc), ncText: p["nc"]}
	return c, nil
}
