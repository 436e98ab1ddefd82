package digest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Challenge is one WWW-Authenticate: Digest challenge.
type Challenge struct {
	Realm, Nonce, Opaque, Qop string
	Algorithm                 Algorithm
	Stale                     bool
}

// String renders the challenge as a header value.
func (c Challenge) String() string {
	s := fmt.Sprintf("Digest realm=%s, qop=%s, algorithm=%s, nonce=%s, opaque=%s",
		quote(c.Realm), quote(c.Qop), c.Algorithm, quote(c.Nonce), quote(c.Opaque))
	if c.Stale {
		s += ", stale=true"
	}
	return s
}

// ParseChallenge reads one WWW-Authenticate value.
func ParseChallenge(h string) (Challenge, error) {
	scheme, p, err := ParseHeader(h)
	if err != nil {
		return Challenge{}, err
	}
	if !strings.EqualFold(scheme, "Digest") {
		return Challenge{}, fmt.Errorf("digest: scheme %q; want Digest", scheme)
	}
	alg, err := ParseAlgorithm(p["algorithm"])
	if err != nil {
		return Challenge{}, err
	}
	if p["realm"] == "" || p["nonce"] == "" {
		return Challenge{}, errors.New("digest: challenge without realm or nonce")
	}
	qop := ""
	for q := range strings.SplitSeq(p["qop"], ",") {
		if strings.TrimSpace(q) == "auth" {
			qop = "auth"
		}
	}
	if qop == "" {
		return Challenge{}, fmt.Errorf("digest: qop %q; want auth offered", p["qop"])
	}
	return Challenge{Realm: p["realm"], Nonce: p["nonce"], Opaque: p["opaque"], Qop: qop, Algorithm: alg,
		Stale: strings.EqualFold(p["stale"], "true")}, nil
}

// Choose picks the strongest challenge this package can answer among the
// WWW-Authenticate values of a 401.
func Choose(headers []string) (Challenge, error) {
	var best Challenge
	var errs []error
	found := false
	for _, h := range headers {
		c, err := ParseChallenge(h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found || c.Algorithm == SHA256 && best.Algorithm != SHA256 {
			best, found = c, true
		}
	}
	if !found {
		return Challenge{}, fmt.Errorf("digest: no usable challenge: %w", errors.Join(errs...))
	}
	return best, nil
}

// Client answers challenges for one user. It keeps the last challenge and
// counts nc per nonce, so later requests authenticate without a 401 until
// the nonce goes stale. Safe for concurrent use.
type Client struct {
	Username, Password string

	mu   sync.Mutex
	chal *Challenge
	nc   uint32
}

// Learn takes the challenge of a 401 response's WWW-Authenticate values.
func (c *Client) Learn(headers []string) (Challenge, error) {
	ch, err := Choose(headers)
	if err != nil {
		return ch, err
	}
	c.mu.Lock()
	c.chal, c.nc = &ch, 0
	c.mu.Unlock()
	return ch, nil
}

// Authorization returns the Authorization header for a request, false if
// no challenge was learnt yet.
func (c *Client) Authorization(method, uri string) (string, bool) {
	c.mu.Lock()
	if c.chal == nil {
		c.mu.Unlock()
		return "", false
	}
	ch := *c.chal
	c.nc++
	nc := fmt.Sprintf("%08x", c.nc)
	c.mu.Unlock()
	var b [12]byte
	rand.Read(b[:])
	cnonce := hex.EncodeToString(b[:])
	return Authorize(ch, c.Username, c.Password, method, uri, nc, cnonce), true
}

// Authorize renders the Authorization value answering ch.
func Authorize(ch Challenge, user, pass, method, uri, nc, cnonce string) string {
	resp := Response(Input{Algorithm: ch.Algorithm, Username: user, Realm: ch.Realm, Password: pass, Method: method,
		URI: uri, Nonce: ch.Nonce, NC: nc, Cnonce: cnonce, Qop: ch.Qop})
	s := fmt.Sprintf("Digest username=%s, realm=%s, uri=%s, algorithm=%s, nonce=%s, nc=%s, cnonce=%s, qop=%s, response=%s",
		quote(user), quote(ch.Realm), quote(uri), ch.Algorithm, quote(ch.Nonce), nc, quote(cnonce), ch.Qop, quote(resp))
	if ch.Opaque != "" {
		s += ", opaque=" + quote(ch.Opaque)
	}
	return s
}
