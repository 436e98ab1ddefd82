package annexg

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// MaxCRSize bounds a UDP Connection Request datagram; longer ones are refused.
const MaxCRSize = 1024

// CR is one UDP Connection Request: the five query fields of TR-069 Annex G.
type CR struct {
	TS  string // timestamp, decimal (seconds, or milliseconds for FreeACS-style senders)
	ID  string // message id, unique per request; the ACS's copies share it
	Un  string // ConnectionRequestUsername
	Cn  string // cnonce
	Sig string // hex(HMAC(ConnectionRequestPassword, ts+id+un+cn))
}

// SenderVariant selects the deviations real ACSes make from the canonical
// GenieACS form (reference §1.3).
type SenderVariant struct {
	Millis bool `yaml:"ts_millis"`  // ts in milliseconds (FreeACS)
	Upper  bool `yaml:"upper_hex"`  // upper-case hex signature (FreeACS)
	Slash  bool `yaml:"slash_path"` // http://h:p/?… instead of http://h:p?…
	NoHost bool `yaml:"no_host"`    // no Host header
	SHA256 bool `yaml:"sha256"`     // HMAC-SHA256 instead of HMAC-SHA1 (non-standard)
}

// Sign computes the signature text ts+id+un+cn keyed with password.
func Sign(cr CR, password string, sha256Sig bool) []byte {
	h := hmac.New(sha1.New, []byte(password))
	if sha256Sig {
		h = hmac.New(sha256.New, []byte(password))
	}
	h.Write([]byte(cr.TS + cr.ID + cr.Un + cr.Cn))
	return h.Sum(nil)
}

// NewCR fills in and signs a request; ts is Unix seconds (or milliseconds
// with v.Millis, passed already scaled by the caller).
func NewCR(ts uint64, id, username, cnonce, password string, v SenderVariant) CR {
	cr := CR{TS: strconv.FormatUint(ts, 10), ID: id, Un: username, Cn: cnonce}
	s := hex.EncodeToString(Sign(cr, password, v.SHA256))
	if v.Upper {
		s = strings.ToUpper(s)
	}
	cr.Sig = s
	return cr
}

// Build renders cr as the datagram sent to the CPE's binding dst:
// GET http://host:port?ts=..&id=..&un=..&cn=..&sig=.. HTTP/1.1.
func Build(dst netip.AddrPort, cr CR, v SenderVariant) []byte {
	q := "ts=" + url.QueryEscape(cr.TS) + "&id=" + url.QueryEscape(cr.ID) + "&un=" + url.QueryEscape(cr.Un) +
		"&cn=" + url.QueryEscape(cr.Cn) + "&sig=" + url.QueryEscape(cr.Sig)
	path := "?"
	if v.Slash {
		path = "/?"
	}
	var b strings.Builder
	b.WriteString("GET http://" + dst.String() + path + q + " HTTP/1.1\r\n")
	if !v.NoHost {
		b.WriteString("Host: " + dst.String() + "\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// ErrMalformed wraps every reason Parse refuses a datagram.
var ErrMalformed = errors.New("malformed connection request")

// Parse reads a UDP Connection Request strictly: one HTTP/1.1 GET request
// line ending in CRLF, an absolute http URL or an origin-form "/?…" target,
// each of ts, id, un, cn, sig exactly once, ts decimal, sig 40 (SHA-1) or
// 64 (SHA-256) hex digits; header lines are read but not required.
func Parse(b []byte) (CR, error) {
	bad := func(f string, a ...any) (CR, error) {
		return CR{}, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(f, a...))
	}
	if len(b) > MaxCRSize {
		return bad("%d bytes; want at most %d", len(b), MaxCRSize)
	}
	s := string(b)
	line, rest, ok := strings.Cut(s, "\r\n")
	if !ok {
		return bad("no CRLF after the request line")
	}
	parts := strings.Split(line, " ")
	if len(parts) != 3 || parts[0] != "GET" || parts[2] != "HTTP/1.1" {
		return bad("request line %q; want GET <url> HTTP/1.1", trunc(line))
	}
	for h := range strings.SplitSeq(rest, "\r\n") {
		if h != "" && !strings.Contains(h, ":") {
			return bad("header line %q has no colon", trunc(h))
		}
	}
	u, err := url.Parse(parts[1])
	if err != nil {
		return bad("url: %v", err)
	}
	switch {
	case u.Scheme == "http" && u.Host != "" && (u.Path == "" || u.Path == "/"):
	case u.Scheme == "" && u.Host == "" && u.Path == "/":
	default:
		return bad("target %q; want http://host:port?… or /?…", trunc(parts[1]))
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("query: %v", err)
	}
	var cr CR
	for _, f := range []struct {
		key string
		dst *string
	}{{"ts", &cr.TS}, {"id", &cr.ID}, {"un", &cr.Un}, {"cn", &cr.Cn}, {"sig", &cr.Sig}} {
		vs := q[f.key]
		if len(vs) != 1 {
			return bad("%d values of %s; want exactly one", len(vs), f.key)
		}
		*f.dst = vs[0]
	}
	if _, err := strconv.ParseUint(cr.TS, 10, 64); err != nil || cr.TS[0] == '+' {
		return bad("ts %q; want a decimal number", trunc(cr.TS))
	}
	if n := len(cr.Sig); n != 40 && n != 64 {
		return bad("sig of %d characters; want 40 (HMAC-SHA1) or 64 (HMAC-SHA256) hex digits", n)
	}
	if _, err := hex.DecodeString(cr.Sig); err != nil {
		return bad("sig %q is not hex", trunc(cr.Sig))
	}
	return cr, nil
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
