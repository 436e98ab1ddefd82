package httpauth

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/boxlab/boxlab/devices/httpauth/internal/httpsyntax"
)

// ParseBasic reads the credentials of an `Authorization: Basic <token68>`
// value (RFC 7617 §2): base64 of user-id ":" password; the user-id may not
// contain a colon, neither part a control character.
func ParseBasic(h string) (user, pass string, err error) {
	if len(h) > maxHeader {
		return "", "", fmt.Errorf("httpauth: header of %d bytes; want at most %d", len(h), maxHeader)
	}
	scheme, tok, ok := strings.Cut(strings.TrimLeft(h, " \t"), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", fmt.Errorf("httpauth: want `Basic <credentials>`; got %q", httpsyntax.Clip(h))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Trim(tok, " \t"))
	if err != nil {
		return "", "", fmt.Errorf("httpauth: Basic credentials: %w", err)
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", fmt.Errorf("httpauth: Basic credentials without ':'")
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return "", "", fmt.Errorf("httpauth: control character in Basic credentials")
		}
	}
	return user, pass, nil
}

// BasicAuthorization renders the Authorization value of user and pass.
func BasicAuthorization(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}
