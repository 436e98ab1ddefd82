package stb

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Roles is the viewer role.
func Roles() []devices.Role {
	return []devices.Role{{Name: "viewer",
		Doc:     "seed 004 terminal: watches channels of a ratings-server and reports LogInInfo/LogOutInfo with Digest auth",
		Options: func() any { return DefaultViewerOptions() },
		New:     func(o any) (devices.Device, error) { return newViewer(*o.(*ViewerOptions)), nil }}}
}

// ViewerOptions configure a viewer.
type ViewerOptions struct {
	Server   string            `yaml:"server"`   // required: name of a ratings-server
	Port     int               `yaml:"port"`     // its HTTP port; default 8080
	Secret   string            `yaml:"secret"`   // provisioning secret (password = ratings.DerivePassword); default boxlab
	Password string            `yaml:"password"` // explicit password instead
	Zipf     float64           `yaml:"zipf"`     // channel popularity exponent; default 1.2
	Zap      float64           `yaml:"zap"`      // share of dwells shorter than the minimum viewing time; default 0.3
	Dwell    scenario.Duration `yaml:"dwell"`    // mean extra time of a real viewing past the minimum; default 60s
	Pause    scenario.Duration `yaml:"pause"`    // mean time between viewings; default 5s
	Forge    bool              `yaml:"forge"`    // also try forged reports after each viewing
	// StartWithin spreads the terminals' power-on: each waits a uniform
	// random time in [0, StartWithin) before it first contacts the server
	// (a load run's 10,000 terminals do not all connect in the same
	// instant); default 0, at once.
	StartWithin scenario.Duration `yaml:"start_within"`
	// HTTPTimeout bounds one HTTP exchange with the server (guide, report),
	// simulated time, never below 2 s of real time; default 10s. A load run
	// on a starved machine raises it so that slow answers are waited for
	// rather than abandoned and retried (a retry storm).
	HTTPTimeout scenario.Duration `yaml:"http_timeout"`
	// Subscribe is the chance, after each viewing, of changing a
	// subscription (subscribe to the channel just watched, or unsubscribe
	// it); default 0.2.
	Subscribe float64 `yaml:"subscribe"`
}

// DefaultViewerOptions are the defaults.
func DefaultViewerOptions() *ViewerOptions {
	return &ViewerOptions{Port: 8080, Secret: "boxlab", Zipf: 1.2, Zap: 0.3, Subscribe: 0.2, HTTPTimeout: scenario.Duration(10 * time.Second),
		Dwell: scenario.Duration(time.Minute), Pause: scenario.Duration(5 * time.Second)}
}

// Check validates the options.
func (o *ViewerOptions) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	add := func(f, format string, a ...any) {
		errs = append(errs, scenario.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)})
	}
	if o.Server == "" {
		add("", `missing "server"; want the name of a ratings-server`)
	} else if !s.HasServer(o.Server) {
		add("server", "no server named %q", o.Server)
	}
	if o.Port < 1 || o.Port > 65535 {
		add("port", "want a port 1..65535; got %d", o.Port)
	}
	if o.Zipf < 0 || o.Zipf > 10 {
		add("zipf", "want 0..10; got %v", o.Zipf)
	}
	if o.Subscribe < 0 || o.Subscribe > 1 {
		add("subscribe", "want a chance 0..1; got %v", o.Subscribe)
	}
	if o.Zap < 0 || o.Zap > 1 {
		add("zap", "want a share 0..1; got %v", o.Zap)
	}
	if o.StartWithin < 0 {
		add("start_within", "want a duration >= 0")
	}
	if o.HTTPTimeout <= 0 {
		add("http_timeout", "want a positive duration")
	}
	if o.Dwell < 0 || o.Pause < 0 {
		add("dwell", "want durations >= 0")
	}
	if o.Secret == "" && o.Password == "" {
		add("secret", "want a secret or a password")
	}
	return errs
}

// Viewer is a running viewer.
type Viewer struct {
	Options ViewerOptions

	finishing chan struct{}
	finishOne sync.Once
	idle      chan struct{} // closed when Run stopped watching after Finish
}

func newViewer(o ViewerOptions) *Viewer {
	return &Viewer{Options: o, finishing: make(chan struct{}), idle: make(chan struct{})}
}

// viewerRun is the state of one Run.
type viewerRun struct {
	*Viewer
	env        *devices.Env
	user, imsi string
	base       string // http://addr:port
	stream     netip.AddrPort
	guide      ratings.Guide
	http       *http.Client
	rep        *reporter
	watching   nowWatching
	subs       subscriptions
}

// Run watches until ctx ends or Finish.
func (v *Viewer) Run(ctx context.Context, env *devices.Env) error {
	addr, ok := env.Server(v.Options.Server)
	if !ok {
		return fmt.Errorf("viewer: no server %q", v.Options.Server)
	}
	r := &viewerRun{Viewer: v, env: env, user: env.Node, imsi: imsiOf(env.Node),
		base: fmt.Sprintf("http://%s:%d", addr, v.Options.Port)}
	r.http = &http.Client{Timeout: max(2*time.Second, env.Clock.Real(time.Duration(v.Options.HTTPTimeout))), Transport: &http.Transport{
		DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
			c, err := env.NS.DialContext(ctx, n, a)
			if err == nil {
				ratings.BoundRetransmits(c)
			}
			return c, err
		},
		DisableKeepAlives: true, // seed 004: Connection: close
	}}
	password := v.Options.Password
	if password == "" {
		password = ratings.DerivePassword(v.Options.Secret, r.user)
	}
	r.rep = newReporter(r, password)
	defer close(v.idle)
	go r.rep.run(ctx)
	if w := time.Duration(v.Options.StartWithin); w > 0 && !r.sleep(ctx, time.Duration(env.Rand.Int64N(int64(w)))) {
		return nil
	}
	if !r.fetchGuide(ctx) {
		return nil
	}
	r.stream = netip.AddrPortFrom(addr, uint16(r.guide.StreamPort))
	if r.guide.ControlPort > 0 {
		cctx, stop := context.WithCancel(ctx)
		defer stop()
		go r.control(cctx, password)
	}
	for !v.done(ctx) {
		service, dwell := r.choose()
		r.watch(ctx, service, dwell)
		if x := r.env.Rand.Float64(); x < r.Options.Subscribe {
			r.subs.change(r, service, x < r.Options.Subscribe/2) // half subscribe, half unsubscribe
		}
		if v.Options.Forge && !v.done(ctx) {
			r.forge(ctx)
		}
		pause := time.Duration(env.Rand.ExpFloat64() * float64(v.Options.Pause))
		if !r.sleep(ctx, pause) {
			break
		}
	}
	r.rep.wait(ctx) // after Finish: every LogOutInfo acknowledged
	return nil
}

// Finish stops watching (leaving the current channel cleanly) and waits
// until every report was acknowledged or ctx ends.
func (v *Viewer) Finish(ctx context.Context, env *devices.Env) error {
	v.finishOne.Do(func() { close(v.finishing) })
	select {
	case <-v.idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("viewer: reports still pending at the end: %w", ctx.Err())
	}
}

func (v *Viewer) done(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case <-v.finishing:
		return true
	default:
		return false
	}
}

// sleep waits a simulated span; false if the run or the viewer is ending.
func (r *viewerRun) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(r.env.Clock.Real(d))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-r.finishing:
		return false
	case <-t.C:
		return true
	}
}

func (r *viewerRun) fetchGuide(ctx context.Context) bool {
	for backoff := 500 * time.Millisecond; ; backoff = min(2*backoff, 8*time.Second) {
		resp, err := r.http.Get(r.base + "/guide")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&r.guide)
			resp.Body.Close()
			if err == nil && len(r.guide.Channels) > 0 && r.guide.FrameInterval > 0 {
				r.env.Log.Info("stb.guide", "channels", len(r.guide.Channels))
				return true
			}
		}
		r.env.Log.Info("stb.guide_error", "err", fmt.Sprint(err))
		if !r.sleep(ctx, backoff) {
			return false
		}
	}
}

// choose draws a channel by Zipf popularity (rank k has weight 1/k^s) and
// a dwell: a zap is shorter than the minimum viewing time, a viewing lasts
// the minimum plus an exponential extra.
func (r *viewerRun) choose() (string, time.Duration) {
	ch := r.guide.Channels
	total := 0.0
	for k := range ch {
		total += 1 / math.Pow(float64(k+1), r.Options.Zipf)
	}
	x := r.env.Rand.Float64() * total
	pick := len(ch) - 1
	for k := range ch {
		x -= 1 / math.Pow(float64(k+1), r.Options.Zipf)
		if x < 0 {
			pick = k
			break
		}
	}
	min := r.guide.MinViewing
	if r.env.Rand.Float64() < r.Options.Zap {
		return ch[pick].ServiceID, time.Duration(r.env.Rand.Float64() * float64(min) * 0.8)
	}
	return ch[pick].ServiceID, min + 2*r.guide.FrameInterval + time.Duration(r.env.Rand.ExpFloat64()*float64(r.Options.Dwell))
}

// imsiOf gives a node a stable 15-digit IMSI (MCC 001, MNC 01: test network).
func imsiOf(node string) string {
	h := fnv.New64a()
	h.Write([]byte(node))
	return "00101" + fmt.Sprintf("%010d", h.Sum64()%1e10)
}

func (r *viewerRun) report(t ratings.MessageType, user, service, program, session string) ratings.LogReport {
	state := "online"
	if t == ratings.LogOut {
		state = "offline"
	}
	return ratings.LogReport{MessageType: t, UserID: user, ServiceID: service, ProgramID: program, OnlineState: state,
		IMSI: r.imsi, ChannelStat: session}
}
