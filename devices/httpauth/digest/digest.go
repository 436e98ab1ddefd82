package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Algorithm names a digest algorithm as written in the algorithm parameter.
type Algorithm string

// The algorithms this package speaks.
const (
	MD5    Algorithm = "MD5"     // RFC 2617, and RFC 7616 for old clients
	SHA256 Algorithm = "SHA-256" // RFC 7616
)

// ParseAlgorithm reads the algorithm parameter; absent means MD5 (RFC 7616 §3.3).
func ParseAlgorithm(s string) (Algorithm, error) {
	switch strings.ToUpper(s) {
	case "", "MD5":
		return MD5, nil
	case "SHA-256":
		return SHA256, nil
	}
	return "", fmt.Errorf("digest: algorithm %q; want MD5 or SHA-256", s)
}

func (a Algorithm) hash() hash.Hash {
	if a == SHA256 {
		return sha256.New()
	}
	return md5.New()
}

func (a Algorithm) h(s string) string {
	h := a.hash()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

// Input is everything a qop=auth response is computed from.
type Input struct {
	Algorithm                 Algorithm
	Username, Realm, Password string
	Method, URI               string
	Nonce, NC, Cnonce, Qop    string
}

// Response is the request-digest of RFC 7616 §3.4.1 (qop=auth):
// H(H(user:realm:pass):nonce:nc:cnonce:qop:H(method:uri)).
func Response(in Input) string {
	ha1 := in.Algorithm.h(in.Username + ":" + in.Realm + ":" + in.Password)
	ha2 := in.Algorithm.h(in.Method + ":" + in.URI)
	return in.Algorithm.h(ha1 + ":" + in.Nonce + ":" + in.NC + ":" + in.Cnonce + ":" + in.Qop + ":" + ha2)
}
