package httpauth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/boxlab/boxlab/devices/httpauth/digest"
	"github.com/boxlab/boxlab/devices/httpauth/internal/httpsyntax"
)

// Scheme is the authentication a server demands.
type Scheme string

// The schemes a Guard can demand.
const (
	None   Scheme = "none"   // no authentication
	Basic  Scheme = "basic"  // RFC 7617; TR-069 allows it only over TLS
	Digest Scheme = "digest" // RFC 7616: SHA-256 and MD5, qop=auth
)

// Schemes lists the scheme names, for option checks.
var Schemes = []Scheme{None, Basic, Digest}

// Valid reports whether s is one of Schemes.
func (s Scheme) Valid() bool { return s == None || s == Basic || s == Digest }

// ErrBadPassword is a Basic password that does not match. The other refusals
// are digest's: ErrMissing, ErrMalformed, ErrStale, ErrReplay, ErrUser,
// ErrBadDigest.
var ErrBadPassword = errors.New("wrong password")

// Guard checks the credentials of requests under one scheme and realm. Safe
// for concurrent use.
type Guard struct {
	Scheme   Scheme
	Realm    string
	Password func(user string) (string, bool) // the user's password, false if no such user

	digest *digest.Server
}

// NewGuard makes a guard. now and ttl drive Digest nonce expiry.
func NewGuard(scheme Scheme, realm string, password func(string) (string, bool), now func() time.Time, ttl time.Duration) *Guard {
	g := &Guard{Scheme: scheme, Realm: realm, Password: password}
	if scheme == Digest {
		g.digest = digest.NewServer(realm, password, now, ttl)
	}
	return g
}

// Check verifies the Authorization value of a request with method and uri
// (the request-target as sent) and returns the authenticated user; with
// scheme none it returns "" and no error. Nothing changes on a refusal but
// the Digest replay memory of a request whose digest was right.
func (g *Guard) Check(method, uri, authorization string) (string, error) {
	switch g.Scheme {
	case Digest:
		return g.digest.Check(method, uri, authorization)
	case Basic:
		return g.checkBasic(authorization)
	}
	return "", nil
}

func (g *Guard) checkBasic(authorization string) (string, error) {
	if authorization == "" {
		return "", digest.ErrMissing
	}
	if scheme, _, _ := strings.Cut(strings.TrimLeft(authorization, " \t"), " "); !strings.EqualFold(scheme, "Basic") {
		return "", fmt.Errorf("%w: scheme %q", digest.ErrMissing, httpsyntax.Clip(scheme))
	}
	user, pass, err := ParseBasic(authorization)
	if err != nil {
		return "", fmt.Errorf("%w: %v", digest.ErrMalformed, err)
	}
	want, ok := g.Password(user)
	if !ok {
		return "", fmt.Errorf("%w: %q", digest.ErrUser, user)
	}
	if subtle.ConstantTimeCompare([]byte(pass), []byte(want)) != 1 {
		return "", fmt.Errorf("%w for user %q", ErrBadPassword, user)
	}
	return user, nil
}

// Challenges are the WWW-Authenticate values of a 401 (stale: the Digest
// nonce expired, the client should retry with the new one).
func (g *Guard) Challenges(stale bool) []string {
	switch g.Scheme {
	case Digest:
		return g.digest.Challenges(stale)
	case Basic:
		return []string{fmt.Sprintf(`Basic realm="%s", charset="UTF-8"`, strings.ReplaceAll(g.Realm, `"`, `'`))}
	}
	return nil
}

// Refuse answers a request Check refused: 401 with fresh challenges.
func (g *Guard) Refuse(w http.ResponseWriter, err error) {
	for _, c := range g.Challenges(errors.Is(err, digest.ErrStale)) {
		w.Header().Add("WWW-Authenticate", c)
	}
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
}

// Challenge reports whether a refusal is the ordinary course of the
// protocol (no credentials yet, or a Digest nonce to renew: expired, or
// issued by an earlier instance of the server) rather than a failure worth
// counting.
func Challenge(err error) bool {
	return errors.Is(err, digest.ErrMissing) || errors.Is(err, digest.ErrStale)
}

// Reason names why Check refused, for events: missing, malformed, stale,
// replay, unknown_user, bad_digest, bad_password or other.
func Reason(err error) string {
	for _, e := range []struct {
		err    error
		reason string
	}{{digest.ErrMissing, "missing"}, {digest.ErrReplay, "replay"}, {digest.ErrStale, "stale"}, {digest.ErrUser, "unknown_user"},
		{digest.ErrBadDigest, "bad_digest"}, {ErrBadPassword, "bad_password"}, {digest.ErrMalformed, "malformed"}} {
		if errors.Is(err, e.err) {
			return e.reason
		}
	}
	return "other"
}
