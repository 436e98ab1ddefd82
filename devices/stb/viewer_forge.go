package stb

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/boxlab/boxlab/devices/httpauth/digest"
	"github.com/boxlab/boxlab/devices/ratings"
)

// forge tries four forged LogInInfo reports on fresh content sessions; the
// server must refuse each (seed 004 §3: unauthenticated or forged reports
// are not counted). Events: stb.forge (kind, status) and
// stb.forge_accepted if the server took one.
func (r *viewerRun) forge(ctx context.Context) {
	service := r.guide.Channels[0].ServiceID
	victim := "victim-" + r.user
	own, ownProg, close1 := r.openSession(ctx, r.user, service)
	defer close1()
	theirs, theirProg, close2 := r.openSession(ctx, victim, service)
	defer close2()
	if own == "" || theirs == "" {
		return
	}
	password := r.rep.client.Password
	try := func(kind string, status int, err error) {
		if err != nil {
			r.env.Log.Info("stb.forge_error", "kind", kind, "err", err.Error())
			return
		}
		r.env.Log.Info("stb.forge", "kind", kind, "status", status)
		if status/100 == 2 {
			r.env.Log.Info("stb.forge_accepted", "kind", kind, "status", status)
		}
	}
	mine := r.report(ratings.LogIn, r.user, service, ownProg, own).Marshal()
	st, err := r.postDigest(ctx, &digest.Client{Username: r.user, Password: password + "x"}, mine)
	try("wrong_password", st, err)

	r.rep.mu.Lock()
	replay := r.rep.lastAuth
	r.rep.mu.Unlock()
	if replay != "" {
		st, _, err := r.post(ctx, replay, mine)
		try("replayed_nc", st, err)
	}
	body := r.report(ratings.LogIn, victim, service, theirProg, theirs).Marshal()
	st, err = r.postDigest(ctx, &digest.Client{Username: victim, Password: password}, body)
	try("other_user", st, err)
	st, err = r.postDigest(ctx, r.rep.client, body)
	try("body_for_other_user", st, err)
}

// postDigest posts body, answering one 401 challenge with c.
func (r *viewerRun) postDigest(ctx context.Context, c *digest.Client, body []byte) (int, error) {
	for range 2 {
		auth, _ := c.Authorization(http.MethodPost, "/report")
		st, hdr, err := r.post(ctx, auth, body)
		if err != nil || st != http.StatusUnauthorized {
			return st, err
		}
		if _, err := c.Learn(hdr.Values("WWW-Authenticate")); err != nil {
			return st, err
		}
	}
	auth, _ := c.Authorization(http.MethodPost, "/report")
	st, _, err := r.post(ctx, auth, body)
	return st, err
}

// openSession starts a content session as user and returns its id and
// programme; close stops it.
func (r *viewerRun) openSession(ctx context.Context, user, service string) (string, string, func()) {
	c, err := r.dialStream(ctx, fmt.Sprintf("WATCH %s %s\n", user, service))
	if err != nil {
		return "", "", func() {}
	}
	stop := func() { c.send("STOP\n"); c.abort() }
	var session, program string
	for session == "" || program == "" {
		l, err := c.read(time.Now().Add(2 * time.Second))
		if err != nil {
			return "", "", stop
		}
		switch l.Kind {
		case "SESSION":
			session = l.Session
		case "FRAME":
			program = l.Frame.Program
		default:
			return "", "", stop
		}
	}
	return session, program, stop
}
