package acs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/devices/httpauth"
)

// Authentication of the CWMP URL (TR-069 §3.4.4): with auth basic or
// digest every POST of a session carries the CPE's credentials
// (ManagementServer.Username/Password); a request without them, or with a
// stale Digest nonce, is challenged with 401 (acs.auth_challenge); wrong
// ones are refused with 401 and counted (acs.auth_fail, reason). The check
// comes before the body is read or a session is looked up, so a refused
// request changes nothing. The authenticated username must name the device
// the Inform speaks for (its SerialNumber, or OUI-ProductClass-SerialNumber
// as GenieACS builds device ids), and every later POST of the session must
// come from the same user: otherwise 403 (acs.auth_fail reason identity).

// DefaultSecret is the default auth_secret; the stb role's acs_secret
// defaults to the same, so a fleet logs in without a table.
const DefaultSecret = "boxlab"

// Realm is the realm of the CWMP URL's challenges.
const Realm = "boxlab-acs"

// CPEPassword is the password of a CPE's username under secret: the first
// 24 hex digits of HMAC-SHA256(secret, username), the way operators derive
// factory passwords from serial numbers so the ACS needs no table.
func CPEPassword(secret, username string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username))
	return hex.EncodeToString(m.Sum(nil))[:24]
}

// password looks a CPE's password up: auth_users first, then derived.
func (o *Options) password(user string) (string, bool) {
	if p, ok := o.AuthUsers[user]; ok {
		return p, true
	}
	if o.AuthSecret == "" || user == "" {
		return "", false
	}
	return CPEPassword(o.AuthSecret, user), true
}

func (s *Server) newGuard() *httpauth.Guard {
	wall := func() time.Time { return s.env.Clock.Start().Add(s.now()) }
	return httpauth.NewGuard(s.Options.Auth, Realm, s.Options.password, wall, time.Duration(s.Options.NonceTTL))
}

// authenticate checks a CWMP request's credentials; on a refusal it has
// answered 401 and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	user, err := s.guard.Check(r.Method, r.RequestURI, r.Header.Get("Authorization"))
	if err == nil {
		return user, true
	}
	if httpauth.Challenge(err) {
		s.env.Log.Info("acs.auth_challenge", "reason", httpauth.Reason(err), "from", source(r).String())
	} else {
		s.authFail(httpauth.Reason(err), err.Error(), source(r).String())
	}
	s.guard.Refuse(w, err)
	return "", false
}

// authFail logs and counts one refused credential.
func (s *Server) authFail(reason, detail, from string) {
	s.mu.Lock()
	s.authFails[reason]++
	s.mu.Unlock()
	s.env.Log.Info("acs.auth_fail", "reason", reason, "err", detail, "from", from)
}

// identity reports whether an authenticated user may speak for the device
// of an Inform (always true without authentication).
func (s *Server) identity(user string, id cwmp.DeviceID) bool {
	if s.Options.Auth == httpauth.None {
		return true
	}
	return names(user, id)
}

// names reports whether name (a username, a certificate's CommonName) is
// the device's: its SerialNumber or OUI-ProductClass-SerialNumber.
func names(name string, id cwmp.DeviceID) bool {
	serial := strings.TrimSpace(id.SerialNumber)
	return serial != "" && (name == serial || name == id.OUI+"-"+id.ProductClass+"-"+serial)
}

// authStats are the failure counters for acs.stats (mu held):
// auth_fail and auth_fail_<reason>.
func (s *Server) authStats() []any {
	total := 0
	reasons := make([]string, 0, len(s.authFails))
	for r, n := range s.authFails {
		total += n
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	out := []any{"auth_fail", float64(total)} // float64: a metric for assertions
	for _, r := range reasons {
		out = append(out, "auth_fail_"+r, float64(s.authFails[r]))
	}
	return out
}

// Finish logs the authentication counters at the end of the run
// (acs.auth_stats: auth_fail, auth_fail_<reason>, tls_fail: failed TLS
// handshakes), so assertions see them.
func (s *Server) Finish(_ context.Context, env *devices.Env) error {
	s.mu.Lock()
	attrs := append(s.authStats(), "tls_fail", float64(s.tlsFails))
	s.mu.Unlock()
	env.Log.Info("acs.auth_stats", attrs...)
	return nil
}
