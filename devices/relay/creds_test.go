package relay

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v4"
)

func TestIssueAndCheck(t *testing.T) {
	now := time.Unix(1_795_000_000, 0)
	c := Issue("s3cret", "lin0-stb0", now.Add(10*time.Minute))
	if c.Username != "1795000600:lin0-stb0" {
		t.Fatalf("user name %q", c.Username)
	}
	for _, tc := range []struct {
		name, secret, user string
		at                 time.Time
		err                error
		samePassword       bool
	}{
		{"valid", "s3cret", c.Username, now, nil, true},
		{"valid at the last second", "s3cret", c.Username, c.Expires, nil, true},
		{"expired", "s3cret", c.Username, c.Expires.Add(time.Second), ErrExpired, false},
		{"other secret", "other", c.Username, now, nil, false},
		{"no colon", "s3cret", "1795000600", now, ErrUsername, false},
		{"empty id", "s3cret", "1795000600:", now, ErrUsername, false},
		{"letters in expiry", "s3cret", "17x5:a", now, ErrUsername, false},
		{"space in id", "s3cret", "1795000600:a b", now, ErrUsername, false},
		{"13-digit expiry", "s3cret", "1795000600000:a", now, ErrUsername, false},
		{"too long", "s3cret", "1795000600:" + strings.Repeat("a", 60), now, ErrUsername, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pw, err := Check(tc.secret, tc.user, tc.at)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if (pw == c.Password) != tc.samePassword {
				t.Fatalf("password %q; issued %q; want same: %v", pw, c.Password, tc.samePassword)
			}
		})
	}
}

// pion's own TURN REST generator and ours agree: coturn and pion servers
// accept what Issue makes.
func TestMatchesPionTURNREST(t *testing.T) {
	u, pw, err := turn.GenerateLongTermTURNRESTCredentials("s3cret", "stb", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Check("s3cret", u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got != pw {
		t.Fatalf("password %q, pion says %q", got, pw)
	}
}

func FuzzParseUsername(f *testing.F) {
	f.Add("1795000600:lin0-stb0")
	f.Add(":")
	f.Add("99999999999999999999:a")
	f.Fuzz(func(t *testing.T, u string) {
		exp, id, err := ParseUsername(u)
		if err != nil {
			return
		}
		if len(u) > MaxUsername || id == "" || strings.ContainsAny(id, " \x00") {
			t.Fatalf("accepted %q", u)
		}
		if again := Issue("k", id, exp).Username; again != u && !strings.HasPrefix(u, "0") {
			t.Fatalf("%q parsed to %v, %q, which issues %q", u, exp.Unix(), id, again)
		}
	})
}
