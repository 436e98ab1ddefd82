package igd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/sim/ns"
)

// Config is what a Server runs with.
type Config struct {
	NS     *ns.NS         // the gateway's namespace
	Mapper nat.PortMapper // the gateway's NAT
	LAN    netip.Addr     // the gateway's LAN address: HTTP, SSDP, NAT-PMP and PCP are served there
	// LANPrefix is the LAN segment NAT-PMP and PCP requests must come
	// from; default LAN/24.
	LANPrefix netip.Prefix
	Options   Options
	Log       *slog.Logger // events: igd.*
	Name      string       // seeds the UUID; the node name
	// Now is scenario time, the clock mapping leases run on; default real
	// time since Start.
	Now func() time.Duration
}

// Server is one running IGD: an HTTP server for descriptions and control,
// an SSDP responder, and the table of mapping descriptions the NAT does not
// keep.
type Server struct {
	cfg      Config
	version  int
	httpAddr string // host:port
	bootID   int64
	started  time.Time
	log      *slog.Logger

	mu         sync.Mutex
	meta       map[key]meta
	kept       map[key]keptMapping // with KeepOnWANChange: what to re-install on a new WAN address
	epochStart time.Duration       // scenario time the NAT-PMP/PCP epoch counts from
	done       chan struct{}

	http      *http.Server // nil with UPnP off
	ssdp      *ssdp        // nil with UPnP off
	pmp       *pmpServer   // nil without NAT-PMP and PCP
	wg        sync.WaitGroup
	closeOnce sync.Once
}

type key struct {
	proto string // "tcp" or "udp"
	port  uint16
}

type meta struct {
	desc    string
	enabled bool
	owner   string        // "" (UPnP), "natpmp" or "pcp"
	nonce   [12]byte      // PCP: the mapping nonce
	expires time.Duration // UPnP: scenario time the lease ends; 0 = permanent
}

// Start opens the HTTP listener and the SSDP socket and sends NOTIFY alive.
func Start(cfg Config) (*Server, error) {
	o := cfg.Options
	o.defaults()
	cfg.Options = o
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if !cfg.LANPrefix.IsValid() {
		cfg.LANPrefix, _ = cfg.LAN.Prefix(24)
	}
	s := &Server{cfg: cfg, version: o.Version, log: cfg.Log, meta: map[key]meta{}, kept: map[key]keptMapping{}, started: time.Now(), bootID: time.Now().Unix(), done: make(chan struct{})}
	if s.cfg.Now == nil {
		s.cfg.Now = func() time.Duration { return time.Since(s.started) }
	}
	s.epochStart = s.cfg.Now()
	s.httpAddr = netip.AddrPortFrom(cfg.LAN, uint16(o.Port)).String()
	if o.NATPMP || o.PCP {
		var err error
		if s.pmp, err = startPMP(s); err != nil {
			return nil, err
		}
	}
	if !o.Off {
		if err := s.startUPnP(); err != nil {
			if s.pmp != nil {
				s.pmp.close()
			}
			return nil, err
		}
	}
	s.wg.Add(1)
	go s.watchWAN()
	return s, nil
}

// startUPnP opens the HTTP listener and the SSDP socket and sends NOTIFY alive.
func (s *Server) startUPnP() error {
	cfg := s.cfg
	l, err := cfg.NS.Listen("tcp4", s.httpAddr)
	if err != nil {
		return fmt.Errorf("igd: http: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathRoot, s.serveXML(s.rootDesc))
	mux.HandleFunc("GET "+pathIPConn, s.serveXML(func() []byte { return scpd(ipConnActions, ipConnVars, s.version) }))
	mux.HandleFunc("GET "+pathCommon, s.serveXML(func() []byte { return scpd(commonActions, commonVars, 1) }))
	mux.HandleFunc("POST "+ctlIPConn, s.control(s.ipConnAction))
	mux.HandleFunc("POST "+ctlCommon, s.control(s.commonAction))
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, MaxHeaderBytes: 8 << 10}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.http.Serve(l) }()
	if s.ssdp, err = startSSDP(s); err != nil {
		s.http.Close()
		return err
	}
	s.log.Info("igd.start", "version", float64(s.version), "location", s.location())
	return nil
}

// Close sends NOTIFY byebye and stops serving.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		if s.ssdp != nil {
			s.ssdp.close()
			err = s.http.Close()
		}
		if s.pmp != nil {
			s.pmp.close()
		}
		s.wg.Wait()
		s.log.Info("igd.stop")
	})
	return err
}

// Rebooted is called after the gateway lost its mappings and came back: a
// new BOOTID and NOTIFY alive, a NAT-PMP/PCP epoch from zero and their
// announcements, as a rebooted gateway announces itself.
func (s *Server) Rebooted() {
	s.mu.Lock()
	s.bootID++
	clear(s.meta)
	clear(s.kept)
	s.epochStart = s.cfg.Now()
	s.mu.Unlock()
	if s.ssdp != nil {
		s.ssdp.notify("ssdp:alive")
	}
	if s.pmp != nil {
		s.pmp.announce()
	}
}

// watchWAN notices a new WAN address (every second, real time): a new
// BOOTID and NOTIFY alive, as miniupnpd does on an address event; the kept
// mappings re-installed; the NAT-PMP/PCP epoch restarted unless the
// mappings survive, and the address announced on 224.0.0.1:5350.
func (s *Server) watchWAN() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	wan := s.cfg.Mapper.ExternalAddr()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		s.sweepLeases()
		now := s.cfg.Mapper.ExternalAddr()
		if now == wan {
			continue
		}
		wan = now
		s.mu.Lock()
		s.bootID++
		if !s.cfg.Options.KeepOnWANChange {
			s.epochStart = s.cfg.Now()
		}
		s.mu.Unlock()
		s.log.Info("igd.wan_changed", "wan", now.String())
		s.reinstall()
		if s.ssdp != nil {
			s.ssdp.notify("ssdp:alive")
		}
		if s.pmp != nil {
			s.pmp.announce()
		}
	}
}

// epoch is the NAT-PMP/PCP epoch time: seconds of scenario time since the
// gateway last lost its mapping state (RFC 6886 §3.6, RFC 6887 §8.5).
func (s *Server) epoch() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint32((s.cfg.Now() - s.epochStart) / time.Second)
}

func (s *Server) location() string { return "http://" + s.httpAddr + pathRoot }

func (s *Server) uuid(i int) string {
	h := uint64(14695981039346656037)
	for _, c := range []byte(s.cfg.Name) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, i, h&0xffffffffffff)
}

func (s *Server) serveXML(body func() []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
		w.Header().Set("Server", serverHeader)
		w.Write(body())
	}
}

// control handles a SOAP POST: bounded read, strict parse, SOAPAction
// check, dispatch, a response or a UPnP fault.
func (s *Server) control(do func(r Request, from netip.Addr) ([]arg, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, hr *http.Request) {
		w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
		w.Header().Set("Server", serverHeader)
		body, err := io.ReadAll(io.LimitReader(hr.Body, MaxSOAPBody+1))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		if len(body) > MaxSOAPBody {
			s.log.Info("igd.bad_request", "why", "too large")
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		req, err := ParseSOAP(body)
		if err != nil {
			s.log.Info("igd.bad_request", "why", err.Error())
			s.fault(w, ErrInvalidAction)
			return
		}
		if h := strings.Trim(hr.Header.Get("SOAPAction"), `" `); h != req.Service+"#"+req.Action {
			s.log.Info("igd.bad_request", "why", "SOAPAction header "+h+" does not match the body")
			s.fault(w, ErrInvalidAction)
			return
		}
		from, _ := netip.ParseAddrPort(hr.RemoteAddr)
		out, err := do(req, from.Addr().Unmap())
		var f *Fault
		if errors.As(err, &f) {
			s.log.Info("igd.fault", "action", req.Action, "code", f.Code, "from", from.Addr().String())
			s.fault(w, f)
			return
		}
		s.log.Info("igd.action", "action", req.Action, "from", from.Addr().String())
		w.Write(responseXML(req.Service, req.Action, out))
	}
}

func (s *Server) fault(w http.ResponseWriter, f *Fault) {
	w.WriteHeader(http.StatusInternalServerError)
	w.Write(faultXML(f))
}

// serviceOK says whether the request names a service this IGD has: a
// version-2 WANIPConnection also answers version-1 requests.
func (s *Server) serviceOK(service, base string, max int) bool {
	for v := 1; v <= max; v++ {
		if service == fmt.Sprintf("%s%s:%d", urnService, base, v) {
			return true
		}
	}
	return false
}

func (s *Server) commonAction(r Request, _ netip.Addr) ([]arg, error) {
	if r.Service != commonType {
		return nil, ErrInvalidAction
	}
	switch r.Action {
	case "GetCommonLinkProperties":
		return []arg{{"NewWANAccessType", "Ethernet"}, {"NewLayer1UpstreamMaxBitRate", "1000000000"},
			{"NewLayer1DownstreamMaxBitRate", "1000000000"}, {"NewPhysicalLinkStatus", "Up"}}, nil
	case "GetTotalBytesSent", "GetTotalBytesReceived", "GetTotalPacketsSent", "GetTotalPacketsReceived":
		return []arg{{"New" + strings.TrimPrefix(r.Action, "Get"), "0"}}, nil
	}
	return nil, ErrInvalidAction
}

// mappings is the live mappings with their descriptions; descriptions of
// mappings the NAT no longer has (expired, reset) are dropped.
func (s *Server) mappings() []entry {
	live := s.cfg.Mapper.PortMappings()
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[key]bool{}
	out := make([]entry, 0, len(live))
	for _, pm := range live {
		k := key{pm.Proto, pm.External.Port()}
		seen[k] = true
		m, ok := s.meta[k]
		if !ok {
			m = meta{enabled: true}
		}
		out = append(out, entry{PortMapping: pm, meta: m})
	}
	for k := range s.meta {
		if !seen[k] {
			delete(s.meta, k)
		}
	}
	slices.SortFunc(out, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.External.Port(), b.External.Port()), cmp.Compare(a.Proto, b.Proto))
	})
	return out
}

type entry struct {
	nat.PortMapping
	meta
}

// sweepLeases logs igd.lease_expired for each UPnP lease this server
// granted that has run out unrenewed (late: how long after its end the
// sweep saw it) and forgets it. It reads only the server's own table: the
// NAT drops the mapping itself when the lease ends.
func (s *Server) sweepLeases() {
	if s.cfg.Now == nil {
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, m := range s.meta {
		if m.expires > 0 && m.expires <= now {
			delete(s.meta, k)
			s.log.Info("igd.lease_expired", "proto", k.proto, "external_port", float64(k.port), "late", now-m.expires)
		}
	}
}

// Run serves until ctx ends, then closes.
func (s *Server) Run(ctx context.Context) error {
	<-ctx.Done()
	return s.Close()
}

// ssdpConn is the SSDP socket: bound to 0.0.0.0:1900 in the gateway
// namespace, member of 239.255.255.250 on the LAN interface.
func listenSSDP(nsh *ns.NS, lan netip.Addr) (*net.UDPConn, error) {
	c, err := nsh.ListenUDP("udp4", &net.UDPAddr{Port: ssdpPort})
	if err != nil {
		return nil, fmt.Errorf("igd: ssdp: %w", err)
	}
	if err := joinGroup(c, lan); err != nil {
		c.Close()
		return nil, fmt.Errorf("igd: ssdp join %v: %w", ssdpGroup, err)
	}
	return c, nil
}

// keptMapping is a mapping to re-install after a WAN address change.
type keptMapping struct {
	pm      nat.PortMapping
	expires time.Duration // scenario time; 0 = permanent
}

func (s *Server) keep(pm nat.PortMapping) {
	if !s.cfg.Options.KeepOnWANChange {
		return
	}
	k := keptMapping{pm: pm}
	if pm.Lifetime > 0 {
		k.expires = s.cfg.Now() + pm.Lifetime
	}
	s.mu.Lock()
	s.kept[key{pm.Proto, pm.External.Port()}] = k
	s.mu.Unlock()
}

func (s *Server) forget(proto string, port uint16) {
	s.mu.Lock()
	delete(s.kept, key{proto, port})
	delete(s.meta, key{proto, port})
	s.mu.Unlock()
}

// reinstall puts the kept mappings back on the new WAN address with the
// lease they had left, as a gateway whose forwarding rules do not name
// its address keeps them.
func (s *Server) reinstall() {
	s.mu.Lock()
	kept := make([]keptMapping, 0, len(s.kept))
	for k, m := range s.kept {
		if m.expires > 0 && m.expires <= s.cfg.Now() {
			delete(s.kept, k)
			continue
		}
		kept = append(kept, m)
	}
	s.mu.Unlock()
	for _, m := range kept {
		pm := m.pm
		pm.External = netip.AddrPortFrom(netip.Addr{}, pm.External.Port())
		if m.expires > 0 {
			pm.Lifetime = m.expires - s.cfg.Now()
		}
		if _, err := s.cfg.Mapper.AddPortMapping(pm); err != nil {
			s.log.Info("igd.reinstall_failed", "proto", pm.Proto, "external_port", float64(pm.External.Port()), "err", err.Error())
			continue
		}
		s.log.Info("igd.reinstalled", "proto", pm.Proto, "external_port", float64(pm.External.Port()))
	}
}
