package ratings

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/httpauth/digest"
	"github.com/boxlab/boxlab/devices/ratings/audience"
	"github.com/boxlab/boxlab/sim/scenario"
)

// reportPath is where viewers POST LogReport messages.
const reportPath = "/report"

// Roles is the ratings-server role.
func Roles() []devices.Role {
	return []devices.Role{{Name: "ratings-server",
		Doc:     "seed 004 audience-ratings server: LogReport over HTTP with Digest auth, service guide, content stream, SQLite or PostgreSQL",
		Options: func() any { return DefaultServerOptions() },
		New:     func(o any) (devices.Device, error) { return &Server{Options: *o.(*ServerOptions)}, nil }},
		{Name: "ratings-judge",
			Doc:     "seed 004: at the end, compares a ratings server under test (e.g. an exec node) with its viewers' ground truth over its JSON API",
			Options: func() any { return &JudgeOptions{Port: 8080} },
			New:     func(o any) (devices.Device, error) { return &Judge{Options: *o.(*JudgeOptions)}, nil }}}
}

// ServerOptions configure ratings-server.
type ServerOptions struct {
	Port       int               `yaml:"port"`        // HTTP: reports, guide, ratings; default 8080
	StreamPort int               `yaml:"stream_port"` // TCP content stream; default 8554
	Realm      string            `yaml:"realm"`       // Digest realm; default ratings@boxlab
	Secret     string            `yaml:"secret"`      // subscriber passwords are DerivePassword(secret, user); default boxlab
	Users      map[string]string `yaml:"users"`       // extra subscribers with explicit passwords
	Channels   int               `yaml:"channels"`    // default 8
	Programme  scenario.Duration `yaml:"programme"`   // length of every programme; default 60s
	Frame      scenario.Duration `yaml:"frame"`       // content frame interval; default 1s
	MinViewing scenario.Duration `yaml:"min_viewing"` // seed: one minute
	NonceTTL   scenario.Duration `yaml:"nonce_ttl"`   // default 5m
	Horizon    scenario.Duration `yaml:"horizon"`     // how far the guide lists programmes; default 1h
	Windows    []WindowOption    `yaml:"windows"`     // rating windows (method A)
	Sync       string            `yaml:"sync"`        // store durability: full (fsync per group commit; default) or normal (survives a process crash only)
	// DSN selects PostgreSQL instead of the embedded SQLite file: a libpq
	// connection string or URL (e.g. "host=/run/pg dbname=boxlab"), dialled
	// from boxlab's own namespace. Tables live in schema PostgresSchema(node).
	DSN string `yaml:"dsn"`
	// Method B (seed 004 §7): online terminals keep a control channel open.
	// ControlPort is the TCP control channel; default 8555. 0: none (the
	// guide says control_port 0, so terminals stay offline and method B,
	// subscription sync, guide pushes and interaction are off; a load
	// scenario then holds one connection a viewer instead of two).
	ControlPort int               `yaml:"control_port"`
	Poll        scenario.Duration `yaml:"poll"`         // poll online terminals "are you watching?" this often; 0: never
	PollSample  float64           `yaml:"poll_sample"`  // share of online terminals asked per poll; default 1 (all)
	GuideUpdate scenario.Duration `yaml:"guide_update"` // change the guide and push GUIDE to online terminals this often; 0: never
	Interaction scenario.Duration `yaml:"interaction"`  // run an interaction item per channel this often; 0: never
	Choices     int               `yaml:"choices"`      // choices of an interaction item; default 3
	// Rate limit of each control channel (lines from the terminal):
	// a bucket of ControlBurst lines refilled at ControlRate lines per
	// simulated second; lines past it are dropped and counted.
	ControlRate  float64 `yaml:"control_rate"`  // default 1
	ControlBurst int     `yaml:"control_burst"` // default 20
	// OperatorPassword is the Digest password of user "operator" on the
	// operator API (/subscriptions/...); default DerivePassword(secret, "operator").
	OperatorPassword string `yaml:"operator_password"`
}

// WindowOption is a rating window in the scenario.
type WindowOption struct {
	Name    string            `yaml:"name"`
	Service string            `yaml:"service"`
	From    scenario.Duration `yaml:"from"`
	To      scenario.Duration `yaml:"to"`
}

// DefaultServerOptions are the defaults.
func DefaultServerOptions() *ServerOptions {
	return &ServerOptions{Port: 8080, StreamPort: 8554, Realm: "ratings@boxlab", Secret: "boxlab", Channels: 8,
		Programme: scenario.Duration(time.Minute), Frame: scenario.Duration(time.Second), MinViewing: scenario.Duration(time.Minute),
		NonceTTL: scenario.Duration(5 * time.Minute), Horizon: scenario.Duration(time.Hour), Sync: SyncFull,
		ControlPort: 8555, PollSample: 1, Choices: 3, ControlRate: 1, ControlBurst: 20}
}

// Check validates the options.
func (o *ServerOptions) Check(*scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	add := func(f, format string, a ...any) {
		errs = append(errs, scenario.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)})
	}
	for f, p := range map[string]int{"port": o.Port, "stream_port": o.StreamPort, "control_port": o.ControlPort} {
		if (p < 1 || p > 65535) && (f != "control_port" || p != 0) {
			add(f, "want a port 1..65535; got %d", p)
		}
	}
	if o.ControlPort == 0 && (o.Poll > 0 || o.GuideUpdate > 0 || o.Interaction > 0) {
		add("control_port", "poll, guide_update and interaction need the control channel; control_port is 0")
	}
	if o.Port == o.StreamPort {
		add("stream_port", "want a port other than port %d", o.Port)
	}
	if o.ControlPort == o.Port || o.ControlPort == o.StreamPort {
		add("control_port", "want a port other than port %d and stream_port %d", o.Port, o.StreamPort)
	}
	if o.Poll < 0 {
		add("poll", "want a duration >= 0 (0: no polls)")
	}
	if o.GuideUpdate < 0 || o.Interaction < 0 {
		add("interaction", "want durations >= 0 for guide_update and interaction (0: never)")
	}
	if o.Choices < 2 || o.Choices > maxChoices {
		add("choices", "want 2..%d; got %d", maxChoices, o.Choices)
	}
	if o.PollSample <= 0 || o.PollSample > 1 {
		add("poll_sample", "want a share in (0, 1]; got %v", o.PollSample)
	}
	if o.ControlRate <= 0 || o.ControlBurst < 1 {
		add("control_rate", "want control_rate > 0 lines per second and control_burst >= 1; got %v and %d", o.ControlRate, o.ControlBurst)
	}
	if o.Channels < 1 || o.Channels > 99 {
		add("channels", "want 1..99; got %d", o.Channels)
	}
	for f, d := range map[string]scenario.Duration{"programme": o.Programme, "frame": o.Frame, "nonce_ttl": o.NonceTTL, "horizon": o.Horizon} {
		if d <= 0 {
			add(f, "want a positive duration")
		}
	}
	if o.Sync != SyncFull && o.Sync != SyncNormal {
		add("sync", "want full or normal; got %q", o.Sync)
	}
	if o.DSN != "" {
		if _, err := pgx.ParseConfig(o.DSN); err != nil {
			add("dsn", "want a PostgreSQL connection string (host=... dbname=...) or postgres:// URL: %v", err)
		}
	}
	if o.MinViewing < 0 {
		add("min_viewing", "want a duration >= 0")
	}
	if o.Realm == "" || o.Secret == "" && len(o.Users) == 0 {
		add("", "want a realm and a secret or users")
	}
	for i, w := range o.Windows {
		if w.Name == "" || w.To <= w.From {
			add(fmt.Sprintf("windows.%d", i), "want a name and from < to")
		}
		if n, err := strconv.Atoi(w.Service); err != nil || n < 1 || n > o.Channels || w.Service != ServiceID(n-1) {
			add(fmt.Sprintf("windows.%d.service", i), "want a service id 01..%02d; got %q", o.Channels, w.Service)
		}
	}
	return errs
}

// DerivePassword is a subscriber's password under a provisioning secret:
// the first 20 hex digits of HMAC-SHA256(secret, user).
func DerivePassword(secret, user string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(user))
	return hex.EncodeToString(m.Sum(nil))[:20]
}

// Server is a running ratings-server.
type Server struct {
	Options ServerOptions

	env    *devices.Env
	log    *slog.Logger
	db     *store
	auth   *digest.Server
	opAuth *digest.Server // the operator API's

	guideMu sync.Mutex
	guide   Guide

	mu   sync.Mutex
	live map[string]*liveStream // session -> the stream connection serving it

	onMu    sync.Mutex
	online  map[string]*onlineConn // user -> its control channel
	polls   []*poll
	pollSeq uint64
	items   map[uint64]*item
	itemSeq uint64
}

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context, env *devices.Env) error {
	s.env, s.log, s.live = env, env.Log, map[string]*liveStream{}
	s.onMu.Lock()
	s.online, s.items = map[string]*onlineConn{}, map[uint64]*item{}
	s.onMu.Unlock()
	s.guideMu.Lock()
	s.guide = s.Options.guide()
	s.guideMu.Unlock()
	run := strconv.FormatInt(env.Clock.Start().UnixNano(), 10)
	var db *store
	var err error
	if s.Options.DSN != "" {
		db, err = openPostgres(s.Options.DSN, PostgresSchema(env.Node), run, s.Options.Sync)
	} else {
		db, err = openStore(filepath.Join(env.OutDir, env.Node+"-ratings.db"), run, s.Options.Sync)
	}
	if err != nil {
		return err
	}
	env.Log.Info("ratings.store_open", "backend", db.backend())
	s.db = db
	defer db.close()
	s.auth = digest.NewServer(s.Options.Realm, s.password, s.simNow, time.Duration(s.Options.NonceTTL))

	hl, err := env.NS.Listen("tcp4", fmt.Sprintf(":%d", s.Options.Port))
	if err != nil {
		return fmt.Errorf("ratings-server listen: %w", err)
	}
	sl, err := env.NS.Listen("tcp4", fmt.Sprintf(":%d", s.Options.StreamPort))
	if err != nil {
		hl.Close()
		return fmt.Errorf("ratings-server stream listen: %w", err)
	}
	var cl net.Listener // nil: no control channel
	if s.Options.ControlPort > 0 {
		cl, err = env.NS.Listen("tcp4", fmt.Sprintf(":%d", s.Options.ControlPort))
		if err != nil {
			hl.Close()
			sl.Close()
			return fmt.Errorf("ratings-server control listen: %w", err)
		}
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: nil,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); srv.Serve(boundedListener{hl}) }()
	go func() { defer wg.Done(); s.serveStreams(ctx, boundedListener{sl}) }()
	if cl != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.serveControl(ctx, boundedListener{cl}) }()
	}
	for _, loop := range []struct {
		every scenario.Duration
		run   func(context.Context)
	}{{s.Options.Poll, s.pollLoop}, {s.Options.GuideUpdate, s.guideLoop}, {s.Options.Interaction, s.interactionLoop}} {
		if loop.every > 0 {
			wg.Add(1)
			go func() { defer wg.Done(); loop.run(ctx) }()
		}
	}
	env.Log.Info("ratings.serve", "port", s.Options.Port, "stream_port", s.Options.StreamPort)
	<-ctx.Done()
	// A crash: nothing is flushed on the way out that was not committed
	// already; writes still queued fail (never acknowledged).
	db.stop()
	// Requests in flight end at once (their writes now fail, their
	// context is done); waiting for them (bounded) means no report is
	// acknowledged or logged after Run returned: the server is down.
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	srv.Shutdown(sctx)
	cancel()
	srv.Close()
	sl.Close()
	if cl != nil {
		cl.Close()
	}
	s.mu.Lock()
	for _, l := range s.live {
		l.cancel()
	}
	s.mu.Unlock()
	wg.Wait()
	return nil
}

func (s *Server) password(user string) (string, bool) {
	if p, ok := s.Options.Users[user]; ok {
		return p, true
	}
	if s.Options.Secret == "" || checkID(user) != nil {
		return "", false
	}
	return DerivePassword(s.Options.Secret, user), true
}

// simNow maps simulated time onto a wall-clock instant for nonce stamps.
func (s *Server) simNow() time.Time { return s.env.Clock.Start().Add(s.env.Clock.Now()) }

// now is the server's timestamp: simulated time at millisecond precision.
func (s *Server) now() time.Duration { return s.env.Clock.Now().Truncate(time.Millisecond) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+reportPath, s.handleReport)
	mux.HandleFunc("GET /guide", func(w http.ResponseWriter, r *http.Request) {
		s.guideMu.Lock()
		g := s.guide
		g.Programmes = slices.Clone(g.Programmes)
		s.guideMu.Unlock()
		writeJSON(w, g)
	})
	mux.HandleFunc("GET /ratings", s.handleRatings)
	mux.HandleFunc("GET /ratings.html", s.handlePage)
	s.operatorRoutes(mux)
	mux.HandleFunc("GET /viewings", func(w http.ResponseWriter, r *http.Request) {
		vs, err := s.db.viewings(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, vs)
	})
	return mux
}

func (s *Server) handleRatings(w http.ResponseWriter, r *http.Request) {
	vs, err := s.db.viewings(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, audience.Compute(vs, s.computeOptions()))
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	vs, err := s.db.viewings(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	WritePage(w, audience.Compute(vs, s.computeOptions()), s.now())
}

func (s *Server) computeOptions() audience.Options {
	s.guideMu.Lock()
	defer s.guideMu.Unlock()
	return audience.Options{Min: time.Duration(s.Options.MinViewing), Now: s.now(), Windows: s.guide.Windows}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// handleReport authenticates, parses and applies one LogReport. Nothing is
// read or stored before the Digest check passes.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	user, err := s.auth.Check(r.Method, r.RequestURI, r.Header.Get("Authorization"))
	if err != nil {
		stale := errors.Is(err, digest.ErrStale)
		if !errors.Is(err, digest.ErrMissing) {
			s.log.Info("ratings.auth_fail", "reason", authReason(err), "err", err.Error(), "from", r.RemoteAddr)
		} else {
			s.log.Info("ratings.challenge", "from", r.RemoteAddr)
		}
		for _, c := range s.auth.Challenges(stale) {
			w.Header().Add("WWW-Authenticate", c)
		}
		http.Error(w, "401 Unauthorized: "+err.Error(), http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReportSize))
	if err != nil {
		s.reject(w, http.StatusRequestEntityTooLarge, "too_large", user, err)
		return
	}
	rep, err := ParseLogReport(body)
	if err != nil {
		s.reject(w, http.StatusBadRequest, "bad_xml", user, err)
		return
	}
	if rep.UserID != user {
		s.reject(w, http.StatusForbidden, "user_mismatch", user, fmt.Errorf("User_ID %q is not the authenticated user %q", rep.UserID, user))
		return
	}
	status, reason, err := s.apply(r.Context(), rep, t0)
	if err != nil {
		s.reject(w, status, reason, user, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "OK\n")
}

func authReason(err error) string {
	for _, e := range []struct {
		err    error
		reason string
	}{{digest.ErrReplay, "replay"}, {digest.ErrStale, "stale"}, {digest.ErrUser, "unknown_user"},
		{digest.ErrBadDigest, "bad_digest"}, {digest.ErrMalformed, "malformed"}} {
		if errors.Is(err, e.err) {
			return e.reason
		}
	}
	return "other"
}

func (s *Server) reject(w http.ResponseWriter, status int, reason, user string, err error) {
	s.log.Info("ratings.rejected", "reason", reason, "user", user, "status", status, "err", err.Error())
	http.Error(w, fmt.Sprintf("%d %s: %v", status, reason, err), status)
}

// apply stores an authenticated report: LogInInfo opens the viewing of its
// session at the session's first frame, LogOutInfo closes it at the last.
// The ratings.report event carries ingest: the real time from the request's
// arrival to its commit.
func (s *Server) apply(ctx context.Context, rep LogReport, t0 time.Time) (int, string, error) {
	ss, ok, err := s.db.session(ctx, rep.ChannelStat)
	switch {
	case err != nil:
		return http.StatusInternalServerError, "store", err
	case !ok:
		return http.StatusUnprocessableEntity, "unknown_session", fmt.Errorf("no content session %q", rep.ChannelStat)
	case ss.user != rep.UserID:
		return http.StatusForbidden, "not_your_session", fmt.Errorf("session %q belongs to another user", ss.id)
	case ss.service != rep.ServiceID:
		return http.StatusUnprocessableEntity, "wrong_service", fmt.Errorf("session %q is on service %s, not %s", ss.id, ss.service, rep.ServiceID)
	case ss.program != rep.ProgramID:
		return http.StatusUnprocessableEntity, "wrong_program", fmt.Errorf("session %q started in programme %s, not %s", ss.id, ss.program, rep.ProgramID)
	}
	var fresh bool
	if rep.MessageType == LogIn {
		fresh, err = s.db.logIn(ctx, ss, s.now())
	} else {
		if !ss.ended {
			return http.StatusConflict, "stream_open", fmt.Errorf("session %q is still streaming; send STOP on the stream first", ss.id)
		}
		fresh, err = s.db.logOut(ctx, ss, s.now())
		if errors.Is(err, errNoLogIn) {
			return http.StatusConflict, "no_login", err
		}
	}
	if err != nil {
		return http.StatusInternalServerError, "store", err
	}
	if !fresh {
		s.log.Info("ratings.duplicate", "type", string(rep.MessageType), "user", rep.UserID, "session", ss.id)
		return 0, "", nil
	}
	s.log.Info("ratings.report", "type", string(rep.MessageType), "user", rep.UserID, "service", ss.service, "session", ss.id,
		"ingest", time.Since(t0))
	if now := s.now(); rep.MessageType == LogIn && now-ss.first < time.Duration(s.Options.MinViewing) {
		// Seed 004 §5: a terminal reports LogInInfo once it has watched the
		// minimum time. Stored all the same (ratings count a viewing by its
		// frames), but a terminal under test is told.
		s.log.Info("ratings.early_login", "user", rep.UserID, "session", ss.id, "watched", now-ss.first)
	}
	return 0, "", nil
}
