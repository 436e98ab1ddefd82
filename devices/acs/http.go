package acs

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"time"

	"github.com/boxlab/boxlab/devices/acs/annexg"
)

// maxBody bounds every request body; larger ones get 413 and change nothing.
const maxBody = 64 << 10

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cwmp/boot", s.boot)
	mux.HandleFunc("POST /cwmp/session", s.session)
	mux.HandleFunc("POST /cwmp/result", s.result)
	mux.HandleFunc("POST /api/commands", s.apiQueue)
	mux.HandleFunc("GET /api/commands", s.apiCommands)
	mux.HandleFunc("GET /api/devices", s.apiDevices)
	mux.HandleFunc("POST /api/devices/{id}/rotate", s.apiRotate)
	return mux
}

func decode(w http.ResponseWriter, r *http.Request, v any, log func(reason string)) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		code := http.StatusBadRequest
		if _, ok := err.(*http.MaxBytesError); ok {
			code = http.StatusRequestEntityTooLarge
		}
		log(err.Error())
		http.Error(w, err.Error(), code)
		return false
	}
	return true
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func source(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func (s *Server) badRequest(path string) func(string) {
	return func(reason string) { s.env.Log.Info("acs.bad_request", "path", path, "err", reason) }
}

// boot registers a device (seed 000 steps 1–2): NAT detection and keepalive parameters.
func (s *Server) boot(w http.ResponseWriter, r *http.Request) {
	var req BootRequest
	if !decode(w, r, &req, s.badRequest("boot")) {
		return
	}
	local, err := netip.ParseAddrPort(req.Local)
	if req.ID == "" || err != nil {
		s.env.Log.Info("acs.bad_request", "path", "boot", "err", "want id and local address:port")
		http.Error(w, "want id and local address:port", http.StatusBadRequest)
		return
	}
	observed := source(r)
	now := s.now()
	s.mu.Lock()
	d, ok := s.devs[req.ID]
	if !ok {
		d = &device{ID: req.ID, Cred: &annexg.Credential{Device: req.ID}}
		s.devs[req.ID] = d
		s.byUser[req.ID] = d
		s.rotate(d)
	}
	d.Local, d.Observed, d.NAT = local, observed, local.Addr() != observed
	d.BootAt, d.SeenSince = now, false
	d.Params.NATDetected, d.Params.Observed, d.Params.NATID = d.NAT, observed.String(), observed.String()
	p := d.Params
	s.mu.Unlock()
	s.env.Log.Info("acs.boot", "device", req.ID, "local", req.Local, "observed", observed.String(), "nat_detected", d.NAT)
	reply(w, p)
}

// rotate issues fresh STUN and connection-request credentials (mu held).
func (s *Server) rotate(d *device) {
	o := &s.Options
	d.Params = Params{STUNServer: s.env.Addr.String(), STUNPort: o.STUNPort,
		MinPeriod: time.Duration(o.Period).Seconds(), MaxPeriod: o.maxPeriod().Seconds(),
		STUNUsername: d.ID, STUNPassword: randHex(12), CRUsername: d.ID, CRPassword: randHex(12),
		NATDetected: d.NAT, Observed: d.Params.Observed, NATID: d.Params.NATID, Generation: d.Params.Generation + 1}
	d.Cred.Password = d.Params.STUNPassword
	d.Cred.Min = time.Duration(o.Period)
}

// session hands the device its next command (seed 000 step 4).
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	var req SessionRequest
	if !decode(w, r, &req, s.badRequest("session")) {
		return
	}
	now := s.now()
	s.mu.Lock()
	d, ok := s.devs[req.ID]
	if !ok {
		s.mu.Unlock()
		http.Error(w, "unknown device", http.StatusNotFound)
		return
	}
	var out SessionReply
	out.Params = d.Params
	if j, ok := s.queue.Fetch(req.ID); ok {
		c := j.Command
		out.Command = &c
		s.env.Log.Info("acs.command_fetched", "device", req.ID, "command", j.ID, "after", now-j.Queued, "attempts", j.Attempts)
	}
	s.mu.Unlock()
	s.env.Log.Info("acs.session", "device", req.ID, "command", out.Command != nil)
	reply(w, out)
}

func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	var req Result
	if !decode(w, r, &req, s.badRequest("result")) {
		return
	}
	now := s.now()
	s.mu.Lock()
	j, err := s.queue.Finish(req.Command, req.ID, req.OK, req.Error, now)
	if err == nil {
		s.logEnded(j)
	}
	s.mu.Unlock()
	if err != nil {
		s.env.Log.Info("acs.bad_request", "path", "result", "err", err.Error())
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiQueue(w http.ResponseWriter, r *http.Request) {
	var req QueueRequest
	if !decode(w, r, &req, s.badRequest("api/commands")) {
		return
	}
	jobs, err := s.queueCommands(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	reply(w, copyJobs(jobs))
}

func (s *Server) apiCommands(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reply(w, copyJobs(s.queue.Jobs()))
}

func copyJobs(js []*Job) []Job {
	out := make([]Job, 0, len(js))
	for _, j := range js {
		out = append(out, *j)
	}
	return out
}

// DeviceView is a device as the operator API lists it.
type DeviceView struct {
	ID       string `json:"id"`
	Local    string `json:"local"`
	Observed string `json:"observed"`
	NAT      bool   `json:"nat_detected"`
	Binding  string `json:"binding,omitempty"`
	Online   bool   `json:"online"`
}

func (s *Server) apiDevices(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DeviceView
	for _, id := range sortedDevices(s.devs) {
		d := s.devs[id]
		v := DeviceView{ID: id, Local: d.Local.String(), Observed: d.Observed.String(), NAT: d.NAT, Online: s.tracker.Online(id)}
		if d.Binding.IsValid() {
			v.Binding = d.Binding.String()
		}
		out = append(out, v)
	}
	reply(w, out)
}

// apiRotate issues new credentials; the device picks them up at its next session.
func (s *Server) apiRotate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	d, ok := s.devs[id]
	if ok {
		s.rotate(d)
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown device", http.StatusNotFound)
		return
	}
	s.env.Log.Info("acs.rotated", "device", id)
	w.WriteHeader(http.StatusNoContent)
}
