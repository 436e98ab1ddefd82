package httpauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/boxlab/boxlab/devices/httpauth/internal/httpsyntax"
)

// maxHeader bounds a WWW-Authenticate or Authorization value we parse.
const maxHeader = 4096

// RawChallenge is one challenge of a WWW-Authenticate value: its scheme and
// its text as one challenge (`Digest realm="x", nonce="y"`), ready for
// digest.ParseChallenge.
type RawChallenge struct {
	Scheme string
	Text   string
}

// ParseChallenges splits one WWW-Authenticate value into its challenges
// (RFC 7235 §4.1: `Basic realm="a", Digest realm="b", nonce="n"` is two).
// A comma-separated element that starts with a token followed by a space,
// or is a lone token, starts a challenge; an element `name=value` continues
// the current one. Commas inside quoted strings do not split. An element
// before any scheme, an unterminated quoted string or an oversized value
// is an error.
func ParseChallenges(h string) ([]RawChallenge, error) {
	if len(h) > maxHeader {
		return nil, fmt.Errorf("httpauth: header of %d bytes; want at most %d", len(h), maxHeader)
	}
	elems, err := splitTop(h)
	if err != nil {
		return nil, err
	}
	var out []RawChallenge
	for _, e := range elems {
		if e == "" {
			continue // RFC 7230 §7: empty list elements are ignored
		}
		if scheme, starts := schemeOf(e); starts {
			if !httpsyntax.IsToken(scheme) {
				return nil, fmt.Errorf("httpauth: bad scheme %q", httpsyntax.Clip(scheme))
			}
			out = append(out, RawChallenge{Scheme: scheme, Text: e})
			continue
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("httpauth: parameter %q before any scheme", httpsyntax.Clip(e))
		}
		last := &out[len(out)-1]
		sep := ", "
		if !strings.ContainsAny(last.Text, " \t") {
			sep = " " // `Digest, realm="x"`: a lone scheme, then its parameters
		}
		last.Text += sep + e
	}
	if len(out) == 0 {
		return nil, errors.New("httpauth: no challenge")
	}
	return out, nil
}

// schemeOf tells whether a list element starts a challenge: a lone token, or
// a token, whitespace and something that is not `=` (a parameter or a
// token68).
func schemeOf(e string) (scheme string, starts bool) {
	sp := strings.IndexAny(e, " \t")
	eq := strings.IndexByte(e, '=')
	if sp < 0 {
		return e, eq < 0
	}
	if eq >= 0 && eq < sp || strings.HasPrefix(strings.TrimLeft(e[sp:], " \t"), "=") {
		return "", false // name=value, or name = value
	}
	return e[:sp], true
}

// splitTop splits h at the commas outside quoted strings and trims each
// element.
func splitTop(h string) ([]string, error) {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ',':
			out = append(out, strings.Trim(h[start:i], " \t"))
			start = i + 1
		}
	}
	if inQuote {
		return nil, errors.New("httpauth: unterminated quoted string")
	}
	return append(out, strings.Trim(h[start:], " \t")), nil
}
