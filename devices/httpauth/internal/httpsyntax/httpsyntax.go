// Package httpsyntax holds the RFC 9110 token rule and the error-message
// clipping both HTTP authentication parsers (httpauth, digest) use.
package httpsyntax

import "strings"

// IsToken says whether s is an RFC 9110 §5.6.2 token.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// Clip shortens wire input quoted in an error message to 40 bytes.
func Clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
