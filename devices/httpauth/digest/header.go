package digest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/boxlab/boxlab/devices/httpauth/internal/httpsyntax"
)

// maxHeader bounds a WWW-Authenticate or Authorization value we parse.
const maxHeader = 4096

// Params are the auth-params of one challenge or credentials, keys lower case.
type Params map[string]string

// ParseHeader splits `Digest k=v, k="v", ...` into its scheme and params
// (RFC 7235 §2.1: token or quoted-string values, quoted-pair escapes). A
// repeated parameter, a missing value or trailing garbage is an error.
func ParseHeader(h string) (scheme string, p Params, err error) {
	if len(h) > maxHeader {
		return "", nil, fmt.Errorf("digest: header of %d bytes; want at most %d", len(h), maxHeader)
	}
	h = strings.TrimLeft(h, " \t")
	sp := strings.IndexAny(h, " \t")
	if sp <= 0 {
		return "", nil, errors.New("digest: want `Digest` followed by parameters")
	}
	scheme, rest := h[:sp], h[sp:]
	p = Params{}
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return "", nil, fmt.Errorf("digest: want name=value; got %q", httpsyntax.Clip(rest))
		}
		name := strings.ToLower(strings.TrimRight(rest[:eq], " \t"))
		if !httpsyntax.IsToken(name) {
			return "", nil, fmt.Errorf("digest: bad parameter name %q", httpsyntax.Clip(name))
		}
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			val, rest, err = quoted(rest)
			if err != nil {
				return "", nil, err
			}
		} else {
			end := strings.IndexAny(rest, ", \t")
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
			if val == "" || !httpsyntax.IsToken(val) {
				return "", nil, fmt.Errorf("digest: parameter %s: want a token or a quoted string", name)
			}
		}
		if _, dup := p[name]; dup {
			return "", nil, fmt.Errorf("digest: parameter %s given twice", name)
		}
		p[name] = val
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return "", nil, fmt.Errorf("digest: want ',' between parameters; got %q", httpsyntax.Clip(rest))
		}
		rest = rest[1:]
	}
	return scheme, p, nil
}

func quoted(s string) (val, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return "", "", errors.New("digest: unterminated quoted string")
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], nil
		default:
			if c < 0x20 && c != '\t' || c == 0x7f {
				return "", "", errors.New("digest: control character in quoted string")
			}
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("digest: unterminated quoted string")
}

// quote renders s as a quoted-string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
