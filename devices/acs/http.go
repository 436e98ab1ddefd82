package acs

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"time"
)

// maxBody bounds every operator API request body; larger ones get 413 and
// change nothing. CWMP bodies are bounded by cwmp.MaxEnvelope.
const maxBody = 64 << 10

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", s.cwmp)
	mux.HandleFunc("POST /cwmp", s.cwmp)
	mux.HandleFunc("GET /firmware/{name}", s.firmware)
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

// rotate issues fresh STUN and connection-request credentials (mu held);
// the device gets them by SetParameterValues in its next session.
func (s *Server) rotate(d *device) {
	o := &s.Options
	d.Params = Params{STUNServer: s.env.Addr.String(), STUNPort: o.STUNPort,
		MinPeriod: time.Duration(o.Period), MaxPeriod: o.maxPeriod(),
		STUNUsername: d.ID, STUNPassword: randHex(12), CRUsername: d.ID, CRPassword: randHex(12),
		Generation: d.Params.Generation + 1}
	d.Cred.Password = d.Params.STUNPassword
	d.Cred.Min = time.Duration(o.Period)
}

// firmwareSize is the size of the file GET /firmware/{name} serves.
const firmwareSize = 256 << 10

// firmware serves the file a download command points at by default: a
// deterministic body of firmwareSize bytes, so a CPE's Download really
// transfers something over the NAT.
func (s *Server) firmware(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", "262144")
	chunk := make([]byte, 4096)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	for range firmwareSize / len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	s.env.Log.Info("acs.firmware_served", "name", r.PathValue("name"), "to", source(r).String())
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
	Root     string `json:"root"`
	Local    string `json:"local"`
	Reported string `json:"udp_connection_request_address"`
	Observed string `json:"observed"`
	NAT      bool   `json:"nat_detected"`
	Binding  string `json:"binding,omitempty"`
	Online   bool   `json:"online"`
	Key      string `json:"parameter_key"`
	Params   Params `json:"params"`
}

func (s *Server) apiDevices(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DeviceView
	for _, id := range sortedDevices(s.devs) {
		d := s.devs[id]
		v := DeviceView{ID: id, Root: d.Root, Local: d.Local.String(), Reported: d.Reported, Observed: d.Observed.String(),
			NAT: d.NAT, Online: s.tracker.Online(id), Key: d.Key, Params: d.Params}
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
