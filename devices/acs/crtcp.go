package acs

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/devices/httpauth/digest"
)

// TCP connection requests (TR-069 §3.2.2): an HTTP GET to the CPE's
// ConnectionRequestURL, authenticated with Digest (or whatever the CPE
// challenges with) under ConnectionRequestUsername/Password; the CPE answers
// 200 or 204 and opens a session with "6 CONNECTION REQUEST", 401 when the
// credentials are wrong, 503 when it throttles. With connection_request:
// auto they go to devices the ACS does not see behind NAT (the reported
// URL's host is the observed source); UDP ones (Annex G) to the others.

// connectionRequestURL keeps a reported ConnectionRequestURL the ACS may
// call: http with an IP address host; "" otherwise.
func connectionRequestURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil {
		return ""
	}
	if _, err := netip.ParseAddr(u.Hostname()); err != nil {
		return ""
	}
	return u.String()
}

// useTCP reports whether d's connection requests go over TCP (mu held).
func (s *Server) useTCP(d *device) bool {
	switch s.Options.CRTransport {
	case "tcp":
		return d.CRURL != ""
	case "udp":
		return false
	}
	return d.CRURL != "" && d.Local.IsValid() && !d.NAT
}

// reachable reports whether a connection request can be sent to d (mu held).
func (s *Server) reachable(d *device) bool {
	return d != nil && (s.useTCP(d) || d.Binding.IsValid())
}

// tcpCR sends one TCP connection request and logs how the CPE answered.
func (s *Server) tcpCR(ctx context.Context, dev, job, rawURL, user, pass string) {
	status, auth, err := s.getCR(ctx, rawURL, &httpauth.Client{Username: user, Password: pass})
	switch {
	case ctx.Err() != nil:
	case err != nil:
		s.env.Log.Info("acs.tcp_cr_error", "device", dev, "command", job, "err", err.Error())
	case status == http.StatusOK || status == http.StatusNoContent:
		s.mu.Lock()
		if d := s.devs[dev]; d != nil {
			d.lastTCPAuth = auth
		}
		s.mu.Unlock()
		s.env.Log.Info("acs.tcp_cr_answered", "device", dev, "command", job, "status", status)
	default:
		s.env.Log.Info("acs.tcp_cr_refused", "device", dev, "command", job, "status", status)
	}
}

// getCR GETs a ConnectionRequestURL, answering one 401 challenge with
// client; it returns the final status and the Authorization it sent.
func (s *Server) getCR(ctx context.Context, rawURL string, client *httpauth.Client) (int, string, error) {
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return 0, "", err
		}
		auth, _ := client.Authorization(http.MethodGet, req.URL.RequestURI())
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := s.crClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || try == 1 {
			return resp.StatusCode, auth, nil
		}
		if _, err := client.Learn(resp.Header.Values("WWW-Authenticate")); err != nil {
			return resp.StatusCode, auth, err
		}
	}
}

// attackTCP is the built-in attacker's part against a CPE it can reach
// over TCP: a connection request answering the CPE's challenge with a
// guessed password (cnonce ForgedCnonce…), and a replay of the last
// Authorization the CPE accepted. Both must get 401; the attacker sees the
// status and logs acs.attack_refused or acs.attack_accepted (a test oracle).
func (s *Server) attackTCP(ctx context.Context, dev, rawURL, user, replay string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return
	}
	uri := u.RequestURI()
	forge := func() (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return "", err
		}
		resp, err := s.crClient.Do(req)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		ch, err := digest.Choose(resp.Header.Values("WWW-Authenticate"))
		if err != nil {
			return "", err
		}
		return digest.Authorize(ch, user, "guessed-password", http.MethodGet, uri, "00000001", ForgedCnonce+randHex(4)), nil
	}
	attempts := []struct {
		kind string
		auth func() (string, error)
	}{{"forged-tcp-cr", forge}}
	if replay != "" {
		attempts = append(attempts, struct {
			kind string
			auth func() (string, error)
		}{"replayed-tcp-cr", func() (string, error) { return replay, nil }})
	}
	for _, a := range attempts {
		auth, err := a.auth()
		if err != nil {
			if ctx.Err() == nil {
				s.env.Log.Info("acs.attack_error", "kind", a.kind, "device", dev, "err", err.Error())
			}
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			continue
		}
		req.Header.Set("Authorization", auth)
		s.env.Log.Info("acs.attack_sent", "kind", a.kind, "device", dev)
		resp, err := s.crClient.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				s.env.Log.Info("acs.attack_error", "kind", a.kind, "device", dev, "err", err.Error())
			}
			continue
		}
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			s.env.Log.Info("acs.attack_accepted", "kind", a.kind, "device", dev, "status", resp.StatusCode)
		} else {
			s.env.Log.Info("acs.attack_refused", "kind", a.kind, "device", dev, "status", resp.StatusCode)
		}
	}
}
