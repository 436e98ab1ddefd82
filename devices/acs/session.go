package acs

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/devices/acs/cwmp"
)

// The CWMP session (TR-069 §3.7): the CPE POSTs an Inform, the ACS answers
// InformResponse and sets a session cookie; the CPE POSTs its own requests
// (TransferComplete, GetRPCMethods), then an empty body; the ACS answers
// each POST with its next RPC (the keepalive parameters if the CPE's
// ParameterKey is stale, then the device's queued command) and, when
// nothing is left, 204 No Content, which ends the session.

// sessionCookie names the HTTP cookie that binds the POSTs of one session.
const sessionCookie = "boxlab_cwmp_session"

// sessionTTL ends a session left idle this long (simulated time).
const sessionTTL = 2 * time.Minute

// maxSessions bounds the open sessions; the oldest idle ones go first.
const maxSessions = 50000

// session is one CWMP session in progress.
type session struct {
	id      string
	dev     string
	user    string // the authenticated user ("" without authentication)
	ns      string // the cwmp namespace the CPE speaks
	seen    time.Duration
	pending *rpc // the RPC sent and not yet answered
}

// rpc is a request the ACS sent in a session.
type rpc struct {
	id     string // cwmp:ID
	method string
	job    *Job // nil: the keepalive parameters
	key    string
	gen    int
}

func (s *Server) cwmp(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cwmp.MaxEnvelope))
	if err != nil {
		s.badRequest("cwmp")(err.Error())
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	sess, foreign := s.lookupSession(r, user)
	if foreign {
		s.authFail("identity", fmt.Sprintf("user %q posts in another user's session", user), source(r).String())
		http.Error(w, "not your session", http.StatusForbidden)
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if sess == nil {
			s.badRequest("cwmp")("empty POST outside a session")
			http.Error(w, "empty POST outside a session: Inform first", http.StatusBadRequest)
			return
		}
		s.next(w, sess)
		return
	}
	env, err := cwmp.Parse(body)
	if err != nil {
		s.badRequest("cwmp")(err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch m := env.Body.(type) {
	case *cwmp.Inform:
		if !s.identity(user, m.DeviceID) {
			s.authFail("identity", fmt.Sprintf("user %q informs as device %q", user, m.DeviceID.SerialNumber), source(r).String())
			http.Error(w, "the authenticated user is not this device", http.StatusForbidden)
			return
		}
		if why, ok := s.certIdentity(r, m.DeviceID); !ok {
			s.authFail("cert_identity", why, source(r).String())
			http.Error(w, "the client certificate is not this device's", http.StatusForbidden)
			return
		}
		sess, err = s.inform(r, env, m, user)
		if err != nil {
			s.badRequest("cwmp")(err.Error())
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.id, Path: "/", HttpOnly: true})
		s.send(w, sess, env.ID, &cwmp.InformResponse{MaxEnvelopes: 1})
		return
	}
	if sess == nil {
		s.badRequest("cwmp")(env.Body.Method() + " outside a session")
		http.Error(w, "no session: Inform first", http.StatusBadRequest)
		return
	}
	switch m := env.Body.(type) {
	case *cwmp.TransferComplete:
		s.transferComplete(sess, m)
		s.send(w, sess, env.ID, &cwmp.TransferCompleteResponse{})
	case *cwmp.GetRPCMethods:
		s.send(w, sess, env.ID, &cwmp.GetRPCMethodsResponse{Methods: []string{"Inform", "GetRPCMethods", "TransferComplete"}})
	case *cwmp.Unsupported, *cwmp.GetParameterValues, *cwmp.SetParameterValues, *cwmp.Reboot, *cwmp.Download:
		// An ACS fault 8000: method not supported (TR-069 Table 57).
		s.send(w, sess, env.ID, &cwmp.Fault{SOAPCode: "Server", Code: 8000, String: "Method not supported"})
	default:
		s.response(sess, env)
		s.next(w, sess)
	}
}

// lookupSession finds the session of a POST by its cookie; foreign: the
// session belongs to another authenticated user (left untouched).
func (s *Server) lookupSession(r *http.Request, user string) (sess *session, foreign bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess = s.sessions[c.Value]
	if sess != nil && sess.user != user {
		return nil, true
	}
	if sess != nil {
		sess.seen = s.now()
	}
	return sess, false
}

// send writes one envelope answering (or carrying) id.
func (s *Server) send(w http.ResponseWriter, sess *session, id string, m cwmp.Message) {
	w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
	w.Write(cwmp.Encode(&cwmp.Envelope{NS: sess.ns, ID: id, Body: m}))
}

// inform opens a session: device registration, NAT detection, boot and
// reboot bookkeeping (seed 000 steps 1–2).
func (s *Server) inform(r *http.Request, env *cwmp.Envelope, in *cwmp.Inform, user string) (*session, error) {
	id := strings.TrimSpace(in.DeviceID.SerialNumber)
	root := cwmp.RootTR181
	for _, p := range in.Params {
		if rt := cwmp.Root(p.Name); rt != "" {
			root = rt
			break
		}
	}
	ms := root + "ManagementServer."
	crURL, _ := in.Param(ms + "ConnectionRequestURL")
	udpCR, _ := in.Param(ms + "UDPConnectionRequestAddress")
	key, _ := in.Param(ms + "ParameterKey")
	local := reportedLocal(crURL, udpCR)
	observed := source(r)
	_, bootstrap := in.HasEvent(cwmp.EventBootstrap)
	_, boot := in.HasEvent(cwmp.EventBoot)
	rebootKey, rebooted := in.HasEvent(cwmp.EventMReboot)
	_, changed := in.HasEvent(cwmp.EventValueChange)
	_, byCR := in.HasEvent(cwmp.EventConnectionRequest)
	now := s.now()
	events := make([]string, 0, len(in.Events))
	for _, e := range in.Events {
		events = append(events, e.Code)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	d, known := s.devs[id]
	if !known {
		d = &device{ID: id, Cred: &annexg.Credential{Device: id}}
		s.devs[id] = d
		s.byUser[id] = d
		s.rotate(d)
	}
	d.Root = root
	if key != d.Key {
		// Not the key of our last acknowledged SetParameterValues: a reset
		// CPE, or one that never got them. Hand the parameters again.
		d.AckedGen = 0
	}
	if udpCR != "" {
		d.Reported = udpCR
	}
	d.CRURL = connectionRequestURL(crURL)
	if local.IsValid() {
		d.Local, d.NAT = local, local.Addr() != observed
	}
	d.Observed = observed
	if !known || boot || bootstrap {
		d.BootAt, d.SeenSince = now, false
		s.env.Log.Info("acs.boot", "device", id, "local", local.String(), "observed", observed.String(),
			"nat_detected", d.NAT, "bootstrap", bootstrap, "root", root)
	}
	if rebooted {
		if j, ok := s.queue.Job(rebootKey); ok && j.Device == id && j.State == Fetched && j.Kind == "reboot" {
			if j, err := s.queue.Finish(j.ID, id, true, "", now); err == nil {
				s.logEnded(j)
			}
		}
	}
	if changed {
		s.env.Log.Info("acs.value_change", "device", id, "udp_cr_address", udpCR)
	}
	s.env.Log.Info("acs.session", "device", id, "events", strings.Join(events, ","), "connection_request", byCR)
	sess := &session{id: randHex(16), dev: id, user: user, ns: env.NS, seen: now}
	s.addSession(sess)
	return sess, nil
}

// reportedLocal is the CPE's own address: the host of its
// ConnectionRequestURL with the port of its UDP connection-request address
// (or of the URL when that address is its public binding).
func reportedLocal(crURL, udpCR string) netip.AddrPort {
	u, err := url.Parse(crURL)
	if err != nil {
		return netip.AddrPort{}
	}
	host, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return netip.AddrPort{}
	}
	if ap, err := netip.ParseAddrPort(udpCR); err == nil && ap.Addr() == host {
		return ap
	}
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 80
	}
	return netip.AddrPortFrom(host, uint16(port))
}

// addSession records sess (mu held), dropping idle sessions when full.
func (s *Server) addSession(sess *session) {
	if len(s.sessions) >= maxSessions {
		for id, old := range s.sessions {
			if sess.seen-old.seen > sessionTTL || len(s.sessions) >= maxSessions {
				delete(s.sessions, id)
			}
		}
	}
	s.sessions[sess.id] = sess
}

// next answers an empty POST or a response: the next RPC, or 204.
func (s *Server) next(w http.ResponseWriter, sess *session) {
	now := s.now()
	s.mu.Lock()
	d := s.devs[sess.dev]
	var m cwmp.Message
	var p *rpc
	switch {
	case d == nil:
	case d.AckedGen != d.Params.Generation:
		m = d.Params.Set(d.Root)
		p = &rpc{method: "SetParameterValues", key: d.Params.Key(), gen: d.Params.Generation}
	default:
		if j, ok := s.queue.Fetch(sess.dev); ok {
			m = commandRPC(j, d.Root, s.firmwareURL())
			p = &rpc{method: m.Method(), job: j}
			s.env.Log.Info("acs.command_fetched", "device", sess.dev, "command", j.ID, "after", now-j.Queued, "attempts", j.Attempts)
		}
	}
	if p == nil {
		delete(s.sessions, sess.id)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.rpcSeq++
	p.id = fmt.Sprintf("acs-%d", s.rpcSeq)
	sess.pending = p
	s.mu.Unlock()
	s.send(w, sess, p.id, m)
}

func (s *Server) firmwareURL() string {
	return fmt.Sprintf("%s://%s/firmware/stb-2.0.bin", s.scheme(), netip.AddrPortFrom(s.env.Addr, uint16(s.Options.HTTPPort)))
}

// commandRPC is the RPC that carries a job; its CommandKey is the job id.
func commandRPC(j *Job, root, firmware string) cwmp.Message {
	name := j.Param
	if name != "" && cwmp.Root(name) == "" && j.Kind != "download" {
		name = root + name // a root-less name follows the device's data model
	}
	if r := cwmp.Root(name); r != "" && r != root {
		name = root + strings.TrimPrefix(name, r)
	}
	switch j.Kind {
	case "get":
		return &cwmp.GetParameterValues{Names: []string{name}}
	case "set":
		return &cwmp.SetParameterValues{Params: []cwmp.ParameterValue{cwmp.Param(name, "string", j.Value)}, ParameterKey: j.ID}
	case "reboot":
		return &cwmp.Reboot{CommandKey: j.ID}
	default:
		u := j.Param
		if u == "" {
			u = firmware
		}
		return &cwmp.Download{CommandKey: j.ID, FileType: "1 Firmware Upgrade Image", URL: u}
	}
}

// errUnexpected is a response that does not answer the pending RPC.
var errUnexpected = errors.New("unexpected response")

// response takes the CPE's answer to the pending RPC.
func (s *Server) response(sess *session, env *cwmp.Envelope) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := sess.pending
	sess.pending = nil
	if p == nil {
		s.env.Log.Info("acs.bad_request", "path", "cwmp", "err", env.Body.Method()+" answers nothing")
		return
	}
	if env.ID != p.id {
		s.env.Log.Info("acs.cwmp_id_mismatch", "device", sess.dev, "sent", p.id, "got", env.ID)
	}
	fault, _ := env.Body.(*cwmp.Fault)
	if p.job == nil {
		d := s.devs[sess.dev]
		switch {
		case fault != nil:
			s.env.Log.Info("acs.params_refused", "device", sess.dev, "fault", fault.Code)
		case env.Body.Method() == "SetParameterValuesResponse" && d != nil:
			d.Key, d.AckedGen = p.key, p.gen
			s.env.Log.Info("acs.params_delivered", "device", sess.dev, "key", p.key)
		default:
			s.env.Log.Info("acs.params_refused", "device", sess.dev, "got", env.Body.Method())
		}
		return
	}
	j := p.job
	ok, reason, final := true, "", true
	switch m := env.Body.(type) {
	case *cwmp.Fault:
		ok, reason = false, fmt.Sprintf("cwmp fault %d %s", m.Code, m.String)
	case *cwmp.GetParameterValuesResponse:
		if p.method != "GetParameterValues" {
			ok, reason = false, errUnexpected.Error()
		} else if len(m.Params) > 0 {
			j.Result = m.Params[0].Value.Text
		}
	case *cwmp.SetParameterValuesResponse:
		ok = p.method == "SetParameterValues"
		if d := s.devs[sess.dev]; ok && d != nil {
			d.Key = j.ID // the CPE now reports the command's ParameterKey
		}
	case *cwmp.RebootResponse:
		// Done when the device reports "M Reboot" after rebooting.
		ok, final = p.method == "Reboot", p.method != "Reboot"
		s.env.Log.Info("acs.reboot_acknowledged", "device", sess.dev, "command", j.ID)
	case *cwmp.DownloadResponse:
		// Status 1: done when TransferComplete arrives.
		ok, final = p.method == "Download", p.method != "Download" || m.Status == 0
	default:
		ok = false
	}
	if !ok && reason == "" {
		reason = errUnexpected.Error() + " " + env.Body.Method()
	}
	if !final && ok {
		return
	}
	if j, err := s.queue.Finish(j.ID, sess.dev, ok, reason, now); err == nil {
		s.logEnded(j)
	}
}

// transferComplete ends a download job.
func (s *Server) transferComplete(sess *session, m *cwmp.TransferComplete) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, reason := m.Fault.FaultCode == 0, ""
	if !ok {
		reason = fmt.Sprintf("cwmp fault %d %s", m.Fault.FaultCode, m.Fault.FaultString)
	}
	j, err := s.queue.Finish(m.CommandKey, sess.dev, ok, reason, now)
	if err != nil {
		s.env.Log.Info("acs.bad_request", "path", "cwmp", "err", "TransferComplete: "+err.Error())
		return
	}
	s.env.Log.Info("acs.transfer_complete", "device", sess.dev, "command", j.ID, "fault", m.Fault.FaultCode)
	s.logEnded(j)
}
