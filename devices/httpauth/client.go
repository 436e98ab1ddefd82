package httpauth

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/boxlab/boxlab/devices/httpauth/digest"
)

// Client answers the challenges of a server for one user: after Learn it
// authenticates every request with the strongest scheme the server offered
// (Digest SHA-256, Digest MD5, then Basic), counting the Digest nonce so
// later requests need no new 401 until the nonce goes stale. Safe for
// concurrent use.
type Client struct {
	Username, Password string

	mu     sync.Mutex
	scheme Scheme
	digest *digest.Client
}

// Learn takes the WWW-Authenticate values of a 401 and returns the scheme
// it will answer with.
func (c *Client) Learn(values []string) (Scheme, error) {
	var digests []string
	basic := false
	var errs []error
	for _, v := range values {
		chs, err := ParseChallenges(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ch := range chs {
			switch {
			case strings.EqualFold(ch.Scheme, "Digest"):
				digests = append(digests, ch.Text)
			case strings.EqualFold(ch.Scheme, "Basic"):
				basic = true
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(digests) > 0 {
		d := &digest.Client{Username: c.Username, Password: c.Password}
		_, err := d.Learn(digests)
		if err == nil {
			c.scheme, c.digest = Digest, d
			return Digest, nil
		}
		errs = append(errs, err)
	}
	if basic {
		c.scheme, c.digest = Basic, nil
		return Basic, nil
	}
	errs = append(errs, errors.New("no Basic or usable Digest challenge"))
	return None, fmt.Errorf("httpauth: %w", errors.Join(errs...))
}

// Authorization returns the Authorization value for a request, false
// before any challenge was learnt.
func (c *Client) Authorization(method, uri string) (string, bool) {
	c.mu.Lock()
	scheme, d := c.scheme, c.digest
	c.mu.Unlock()
	switch scheme {
	case Digest:
		return d.Authorization(method, uri)
	case Basic:
		return BasicAuthorization(c.Username, c.Password), true
	}
	return "", false
}
