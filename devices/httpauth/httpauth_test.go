package httpauth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices/httpauth/digest"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name string
		h    string
		want []string // schemes
	}{
		{"RFC 7235 §4.1 example: two challenges in one value", `Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`, []string{"Newauth", "Basic"}},
		{"Basic then Digest, comma inside a quoted string", `Basic realm="a,b", Digest realm="x", qop="auth,auth-int", nonce="n"`, []string{"Basic", "Digest"}},
		{"a lone scheme", `Negotiate`, []string{"Negotiate"}},
		{"token68", `Bearer abc==, Basic realm="r"`, []string{"Bearer", "Basic"}},
		{"empty list elements are ignored (RFC 7230 §7)", `, Basic realm="r",`, []string{"Basic"}},
	}
	for _, tt := range tests {
		got, err := ParseChallenges(tt.h)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var schemes []string
		for _, c := range got {
			schemes = append(schemes, c.Scheme)
		}
		if strings.Join(schemes, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: schemes %v, want %v", tt.name, schemes, tt.want)
		}
	}
	got, _ := ParseChallenges(`Basic realm="a,b", Digest realm="x", qop="auth,auth-int", nonce="n"`)
	if ch, err := digest.ParseChallenge(got[1].Text); err != nil || ch.Realm != "x" || ch.Qop != "auth" || ch.Nonce != "n" {
		t.Errorf("the Digest challenge's text %q parses as %+v, %v", got[1].Text, ch, err)
	}
	for _, bad := range []string{"", " , ", `realm="x"`, `Basic realm="x`, `B(asic realm="x"`, strings.Repeat("a", maxHeader+1)} {
		if _, err := ParseChallenges(bad); err == nil {
			t.Errorf("ParseChallenges(%q) accepted", bad)
		}
	}
}

func TestParseBasic(t *testing.T) {
	// RFC 7617 §2 example.
	u, p, err := ParseBasic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
	if err != nil || u != "Aladdin" || p != "open sesame" {
		t.Fatalf("ParseBasic = %q, %q, %v", u, p, err)
	}
	if u, p, err := ParseBasic(BasicAuthorization("cpe", "pa:ss")); err != nil || u != "cpe" || p != "pa:ss" {
		t.Errorf("round trip = %q, %q, %v; a password may hold ':'", u, p, err)
	}
	for _, bad := range []string{"", "Basic", "Basic !!!", "Digest QWxhZGRpbjpvcGVuIHNlc2FtZQ==", BasicAuthorization("nocolon", "")[:len("Basic ")] + "bm9jb2xvbg==",
		BasicAuthorization("a\x01", "b"), "Basic " + strings.Repeat("A", maxHeader)} {
		if _, _, err := ParseBasic(bad); err == nil {
			t.Errorf("ParseBasic(%q) accepted", bad)
		}
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func users(u string) (string, bool) {
	p, ok := map[string]string{"stb1": "right", "stb2": "other"}[u]
	return p, ok
}

func TestGuardRoundTrip(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	for _, scheme := range []Scheme{Basic, Digest} {
		g := NewGuard(scheme, "boxlab-acs", users, clk.now, time.Minute)
		if _, err := g.Check("POST", "/", ""); !errors.Is(err, digest.ErrMissing) || !Challenge(err) {
			t.Errorf("%s: no credentials: %v; want a challenge", scheme, err)
		}
		c := &Client{Username: "stb1", Password: "right"}
		if _, ok := c.Authorization("POST", "/"); ok {
			t.Errorf("%s: authorization before any challenge", scheme)
		}
		if got, err := c.Learn(g.Challenges(false)); err != nil || got != scheme {
			t.Fatalf("%s: Learn = %v, %v", scheme, got, err)
		}
		for i := range 3 {
			a, _ := c.Authorization("POST", "/")
			if u, err := g.Check("POST", "/", a); err != nil || u != "stb1" {
				t.Errorf("%s: request %d: Check = %q, %v", scheme, i, u, err)
			}
		}
		wrong := &Client{Username: "stb1", Password: "wrong"}
		wrong.Learn(g.Challenges(false))
		a, _ := wrong.Authorization("POST", "/")
		_, err := g.Check("POST", "/", a)
		if want := map[Scheme]string{Basic: "bad_password", Digest: "bad_digest"}[scheme]; Reason(err) != want || Challenge(err) {
			t.Errorf("%s: wrong password: %v (reason %s); want %s, counted as a failure", scheme, err, Reason(err), want)
		}
		other := &Client{Username: "stb2", Password: "right"}
		other.Learn(g.Challenges(false))
		a, _ = other.Authorization("POST", "/")
		if _, err := g.Check("POST", "/", a); err == nil {
			t.Errorf("%s: another user's name with stb1's password accepted", scheme)
		}
		nobody := &Client{Username: "nobody", Password: "x"}
		nobody.Learn(g.Challenges(false))
		a, _ = nobody.Authorization("POST", "/")
		if _, err := g.Check("POST", "/", a); Reason(err) != "unknown_user" {
			t.Errorf("%s: unknown user: %v", scheme, err)
		}
	}
	if u, err := NewGuard(None, "r", nil, clk.now, time.Minute).Check("POST", "/", ""); err != nil || u != "" {
		t.Errorf("none: Check = %q, %v", u, err)
	}
	b := NewGuard(Basic, "r", users, clk.now, time.Minute)
	if _, err := b.Check("POST", "/", "Digest username=\"stb1\""); !errors.Is(err, digest.ErrMissing) {
		t.Errorf("Basic guard given Digest credentials: %v; want missing (a new challenge)", err)
	}
	if _, err := b.Check("POST", "/", "Basic !!!"); Reason(err) != "malformed" {
		t.Errorf("Basic guard given bad base64: %v", err)
	}
}

func TestClientPicksStrongest(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	d := NewGuard(Digest, "r", users, clk.now, time.Minute).Challenges(false)
	tests := []struct {
		name   string
		values []string
		want   Scheme
		alg    string
	}{
		{"Basic and Digest offered: Digest", append([]string{`Basic realm="r"`}, d...), Digest, "SHA-256"},
		{"Basic and Digest in one value: Digest", []string{`Basic realm="r", ` + d[1]}, Digest, "MD5"},
		{"MD5 only (RFC 2617 server)", d[1:], Digest, "MD5"},
		{"Basic only", []string{`Basic realm="r"`}, Basic, ""},
		{"Digest with qop=auth-int only falls back to Basic", []string{`Digest realm="r", nonce="n", qop="auth-int"`, `Basic realm="r"`}, Basic, ""},
	}
	for _, tt := range tests {
		c := &Client{Username: "stb1", Password: "right"}
		got, err := c.Learn(tt.values)
		if err != nil || got != tt.want {
			t.Errorf("%s: Learn = %v, %v; want %v", tt.name, got, err, tt.want)
			continue
		}
		a, _ := c.Authorization("POST", "/")
		if tt.alg != "" && !strings.Contains(a, "algorithm="+tt.alg+",") {
			t.Errorf("%s: %s; want algorithm=%s", tt.name, a, tt.alg)
		}
	}
	for _, bad := range [][]string{nil, {`Bearer realm="r"`}, {`Digest realm="r", nonce="n", qop="auth-int"`}, {`garbage"`}} {
		if s, err := (&Client{}).Learn(bad); err == nil {
			t.Errorf("Learn(%q) = %v; want an error", bad, s)
		}
	}
}

func FuzzParseChallenges(f *testing.F) {
	f.Add(`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`)
	f.Add(`Digest realm="r", qop="auth,auth-int", algorithm=SHA-256, nonce="n", opaque="o", stale=true`)
	f.Add("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
	f.Fuzz(func(t *testing.T, h string) {
		chs, err := ParseChallenges(h)
		if err == nil && len(chs) == 0 {
			t.Fatal("no error and no challenge")
		}
		(&Client{Username: "u", Password: "p"}).Learn([]string{h})
		ParseBasic(h)
		g := NewGuard(Basic, "r", users, time.Now, time.Minute)
		if u, err := g.Check("POST", "/", h); err == nil && u != "stb1" {
			t.Fatalf("accepted %q as %q", h, u)
		}
	})
}
