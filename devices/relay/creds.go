package relay

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by definition (and coturn's default)
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors of ParseUsername and Check.
var (
	ErrUsername = errors.New("turn credentials: malformed user name; want <unix expiry>:<id>")
	ErrExpired  = errors.New("turn credentials: expired")
)

// MaxUsername bounds a user name: the rendezvous wire carries it as a
// string of at most 64 bytes.
const MaxUsername = 64

// Credentials are one TURN REST credential.
type Credentials struct {
	Username string    // "<expiry>:<id>"
	Password string    // base64(HMAC-SHA1(secret, Username))
	Expires  time.Time // second precision
}

// Issue makes credentials for id valid until expires.
func Issue(secret, id string, expires time.Time) Credentials {
	u := strconv.FormatInt(expires.Unix(), 10) + ":" + id
	return Credentials{Username: u, Password: base64.StdEncoding.EncodeToString(Digest(secret, u)), Expires: time.Unix(expires.Unix(), 0)}
}

// Digest is HMAC-SHA1(secret, username), the password before base64.
func Digest(secret, username string) []byte {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(username))
	return m.Sum(nil)
}

// ParseUsername splits a TURN REST user name into its expiry and id. The
// expiry is 1 to 12 decimal digits; the id is 1 or more printable ASCII
// characters without spaces; the whole is at most MaxUsername bytes.
func ParseUsername(u string) (time.Time, string, error) {
	if len(u) > MaxUsername {
		return time.Time{}, "", fmt.Errorf("%w: %d bytes, want <= %d", ErrUsername, len(u), MaxUsername)
	}
	ts, id, ok := strings.Cut(u, ":")
	if !ok || len(ts) < 1 || len(ts) > 12 || id == "" {
		return time.Time{}, "", fmt.Errorf("%w: %q", ErrUsername, u)
	}
	for _, c := range []byte(ts) {
		if c < '0' || c > '9' {
			return time.Time{}, "", fmt.Errorf("%w: expiry %q is not decimal", ErrUsername, ts)
		}
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c > '~' {
			return time.Time{}, "", fmt.Errorf("%w: byte %#x in the id", ErrUsername, c)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: %v", ErrUsername, err)
	}
	return time.Unix(sec, 0), id, nil
}

// Check validates username at now and returns the password it must come
// with: a malformed name is ErrUsername, an expiry before now ErrExpired.
func Check(secret, username string, now time.Time) (string, error) {
	exp, _, err := ParseUsername(username)
	if err != nil {
		return "", err
	}
	if exp.Before(now) {
		return "", fmt.Errorf("%w at %s (now %s)", ErrExpired, exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return base64.StdEncoding.EncodeToString(Digest(secret, username)), nil
}
