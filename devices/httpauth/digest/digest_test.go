package digest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestResponseVectors(t *testing.T) {
	rfc7616 := Input{Username: "Mufasa", Realm: "http-auth@example.org", Password: "Circle of Life", Method: "GET",
		URI: "/dir/index.html", Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", NC: "00000001",
		Cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", Qop: "auth"}
	tests := []struct {
		name string
		in   Input
		alg  Algorithm
		want string
	}{
		{"RFC 7616 §3.9.1 MD5", rfc7616, MD5, "8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 7616 §3.9.1 SHA-256", rfc7616, SHA256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
		{"RFC 2617 §3.5 (seed 004 s306)", Input{Username: "Mufasa", Realm: "testrealm@host.com", Password: "Circle Of Life",
			Method: "GET", URI: "/dir/index.html", Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", NC: "00000001",
			Cnonce: "0a4f113b", Qop: "auth"}, MD5, "6629fae49393a05397450978507c4ef1"},
	}
	for _, tt := range tests {
		tt.in.Algorithm = tt.alg
		if got := Response(tt.in); got != tt.want {
			t.Errorf("%s: Response = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	scheme, p, err := ParseHeader(`Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nc=00000001, qop=auth, response="x\"y"`)
	if err != nil {
		t.Fatal(err)
	}
	if scheme != "Digest" || p["username"] != "Mufasa" || p["algorithm"] != "SHA-256" || p["nc"] != "00000001" || p["response"] != `x"y` {
		t.Fatalf("got %s %v", scheme, p)
	}
	for _, bad := range []string{"", "Digest", `Digest a`, `Digest a=`, `Digest a="x`, `Digest a=1 b=2`, `Digest a=1, a=2`,
		`Digest a="x` + "\x01" + `"`, `Digest =1`, "Digest a=\"\\", "Digest " + strings.Repeat("a", maxHeader)} {
		if _, _, err := ParseHeader(bad); err == nil {
			t.Errorf("ParseHeader(%q) accepted", bad)
		}
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestServer() (*Server, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	users := map[string]string{"alice": "wonderland", "bob": "builder"}
	s := NewServer("ratings@boxlab", func(u string) (string, bool) { p, ok := users[u]; return p, ok }, clk.now, time.Minute)
	return s, clk
}

func TestServerClientRoundTrip(t *testing.T) {
	s, clk := newTestServer()
	for _, pick := range []int{0, 1} { // SHA-256, then MD5 alone (an RFC 2617 client)
		c := &Client{Username: "alice", Password: "wonderland"}
		if _, ok := c.Authorization("POST", "/report"); ok {
			t.Fatal("authorization before any challenge")
		}
		if _, err := c.Learn(s.Challenges(false)[pick:]); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			h, _ := c.Authorization("POST", "/report")
			if user, err := s.Check("POST", "/report", h); err != nil || user != "alice" {
				t.Fatalf("challenge %d request %d: Check = %q, %v", pick, i, user, err)
			}
		}
	}
	_ = clk
}

func TestServerRefuses(t *testing.T) {
	s, clk := newTestServer()
	ch, err := Choose(s.Challenges(false))
	if err != nil || ch.Algorithm != SHA256 {
		t.Fatalf("Choose = %v, %v; want SHA-256 preferred (RFC 7616 §3.7)", ch, err)
	}
	good := Authorize(ch, "alice", "wonderland", "POST", "/report", "00000001", "abc")
	if _, err := s.Check("POST", "/report", good); err != nil {
		t.Fatal(err)
	}
	other := ch
	other.Nonce = NewServer("ratings@boxlab", nil, clk.now, time.Minute).newNonce()
	badOpaque := ch
	badOpaque.Opaque = "nope"
	tests := []struct {
		name, method, uri, header string
		want                      error
	}{
		{"no header", "POST", "/report", "", ErrMissing},
		{"basic scheme", "POST", "/report", "Basic YWxpY2U6d29uZGVybGFuZA==", ErrMissing},
		{"RFC 7616 §3.4.5: replayed nc", "POST", "/report", good, ErrReplay},
		{"wrong password", "POST", "/report", Authorize(ch, "alice", "guess", "POST", "/report", "00000002", "abc"), ErrBadDigest},
		{"other user's name with alice's password", "POST", "/report", Authorize(ch, "bob", "wonderland", "POST", "/report", "00000003", "abc"), ErrBadDigest},
		{"unknown user", "POST", "/report", Authorize(ch, "mallory", "x", "POST", "/report", "00000004", "abc"), ErrUser},
		{"uri mismatch", "POST", "/report", Authorize(ch, "alice", "wonderland", "POST", "/other", "00000005", "abc"), ErrMalformed},
		{"method mismatch", "GET", "/report", Authorize(ch, "alice", "wonderland", "POST", "/report", "00000006", "abc"), ErrBadDigest},
		{"nonce of another instance", "POST", "/report", Authorize(other, "alice", "wonderland", "POST", "/report", "00000007", "abc"), ErrStale},
		{"opaque changed", "POST", "/report", Authorize(badOpaque, "alice", "wonderland", "POST", "/report", "00000008", "abc"), ErrStale},
		{"nc not 8 hex", "POST", "/report", Authorize(ch, "alice", "wonderland", "POST", "/report", "9", "abc"), ErrMalformed},
		{"qop auth-int", "POST", "/report", strings.Replace(good, "qop=auth", "qop=auth-int", 1), ErrMalformed},
		{"algorithm MD5-sess", "POST", "/report", strings.Replace(good, "algorithm=SHA-256", "algorithm=MD5-sess", 1), ErrMalformed},
		{"missing cnonce", "POST", "/report", strings.Replace(good, `cnonce="abc", `, "", 1), ErrMalformed},
	}
	for _, tt := range tests {
		_, err := s.Check(tt.method, tt.uri, tt.header)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Check = %v; want %v", tt.name, err, tt.want)
		}
	}
	clk.t = clk.t.Add(2 * time.Minute)
	late := Authorize(ch, "alice", "wonderland", "POST", "/report", "00000009", "abc")
	if _, err := s.Check("POST", "/report", late); !errors.Is(err, ErrStale) {
		t.Errorf("RFC 7616 §3.3 nonce past its TTL: Check = %v; want stale", err)
	}
	for _, h := range s.Challenges(true) {
		if c, err := ParseChallenge(h); err != nil || !c.Stale || c.Qop != "auth" {
			t.Errorf("stale challenge %q parsed as %+v, %v", h, c, err)
		}
	}
}

func TestChooseRFC2617Challenge(t *testing.T) {
	// The seed's example challenge (s305): no algorithm (MD5), qop list.
	ch, err := Choose([]string{`Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`})
	if err != nil || ch.Algorithm != MD5 || ch.Qop != "auth" || ch.Opaque != "5ccc069c403ebaf9f0171e9517f40e41" {
		t.Fatalf("Choose = %+v, %v", ch, err)
	}
	if _, err := Choose([]string{`Basic realm="x"`, `Digest realm="x", nonce="n", qop="auth-int"`}); err == nil {
		t.Error("accepted challenges without qop=auth")
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(`Digest username="Mufasa", realm="r", nonce="n", uri="/", qop=auth, nc=00000001, cnonce="c", response="x"`)
	f.Add(`Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b71"`)
	f.Fuzz(func(t *testing.T, h string) {
		s, _ := newTestServer()
		s.Check("POST", "/report", h)
		ParseChallenge(h)
	})
}
