package stb

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/devices/httpauth/digest"
)

// TCP connection requests (TR-069 §3.2.2): the box serves its
// ConnectionRequestURL (http://<local address>:<cr_port>/) on TCP. A GET
// must carry ConnectionRequestUsername/Password under cr_auth (Digest by
// default: a nonce stamped with the box's clock and good for crNonceTTL of
// simulated time, nc replay check, a fresh nonce key every boot). As with
// UDP requests (Annex G G.2.1.4), everything is checked before any state
// changes: a refused request gets 401 with a new challenge and leaves no
// trace but the event; a valid one closer than rate_limit to the last
// accepted one gets 503 (TR-069 §3.2.2); a valid one gets 200 and starts a
// session with "6 CONNECTION REQUEST". Events: stb.tcp_cr_challenged,
// stb.tcp_cr_rejected (reason), stb.tcp_cr_throttled, stb.tcp_cr_accepted,
// stb.forged_accepted (a request of the built-in attacker got through).

// crNonceTTL is how long a connection-request Digest nonce is good.
const crNonceTTL = time.Minute

// crRealm is the realm of the box's connection-request challenges.
const crRealm = "boxlab-cpe"

// serveTCPCR listens on the ConnectionRequestURL's port; stop closes it.
func (l *kaLife) serveTCPCR(ctx context.Context) (stop func(), err error) {
	o := &l.box.Options
	ln, err := l.env.NS.Listen("tcp4", fmt.Sprintf(":%d", o.CRPort))
	if err != nil {
		return nil, fmt.Errorf("stb listen tcp %d: %w", o.CRPort, err)
	}
	wall := func() time.Time { return l.env.Clock.Start().Add(l.env.Clock.Now()) }
	guard := httpauth.NewGuard(o.CRAuth, crRealm, func(user string) (string, bool) {
		if u := l.m.get("ManagementServer.ConnectionRequestUsername"); u == "" || u != user {
			return "", false
		}
		return l.m.get("ManagementServer.ConnectionRequestPassword"), true
	}, wall, crNonceTTL)
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { l.tcpCR(w, r, guard) }),
		ReadHeaderTimeout: 5 * time.Second, MaxHeaderBytes: 8 << 10}
	done := make(chan struct{})
	go func() { defer close(done); hs.Serve(ln) }()
	context.AfterFunc(ctx, func() { hs.Close() })
	return func() { hs.Close(); <-done }, nil
}

// tcpCR answers one GET to the ConnectionRequestURL.
func (l *kaLife) tcpCR(w http.ResponseWriter, r *http.Request, guard *httpauth.Guard) {
	if r.Method != http.MethodGet || r.URL.Path != "/" {
		l.env.Log.Info("stb.tcp_cr_rejected", "reason", "not a GET of the ConnectionRequestURL", "from", r.RemoteAddr)
		http.Error(w, "GET / only", http.StatusMethodNotAllowed)
		return
	}
	authz := r.Header.Get("Authorization")
	if _, err := guard.Check(r.Method, r.RequestURI, authz); err != nil {
		if httpauth.Challenge(err) {
			l.env.Log.Info("stb.tcp_cr_challenged", "reason", httpauth.Reason(err))
		} else {
			l.env.Log.Info("stb.tcp_cr_rejected", "reason", httpauth.Reason(err), "from", r.RemoteAddr)
		}
		guard.Refuse(w, err)
		return
	}
	now := l.env.Clock.Now()
	limit := time.Duration(l.box.Options.RateLimit)
	l.mu.Lock()
	throttled := limit > 0 && l.anyTCP && now-l.lastTCP < limit
	if !throttled {
		l.lastTCP, l.anyTCP, l.crPending = now, true, true
	}
	l.mu.Unlock()
	if throttled {
		l.env.Log.Info("stb.tcp_cr_throttled")
		w.Header().Set("Retry-After", fmt.Sprint(int(limit.Seconds())+1))
		http.Error(w, "too many connection requests", http.StatusServiceUnavailable)
		return
	}
	l.env.Log.Info("stb.tcp_cr_accepted")
	if _, p, err := digest.ParseHeader(authz); err == nil && strings.HasPrefix(p["cnonce"], acs.ForgedCnonce) {
		l.env.Log.Info("stb.forged_accepted", "transport", "tcp")
	}
	w.WriteHeader(http.StatusOK)
	l.kick()
}
