package ratings

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/ratings/audience"
	"github.com/boxlab/boxlab/sim/scenario"
)

// JudgeOptions configure ratings-judge.
type JudgeOptions struct {
	Server string `yaml:"server"` // required: the ratings server under test (any role, e.g. exec)
	Port   int    `yaml:"port"`   // its HTTP port; default 8080
}

// Check validates the options.
func (o *JudgeOptions) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	if o.Server == "" {
		errs = append(errs, scenario.FieldError{Msg: `missing "server"; want the name of the ratings server under test`})
	} else if !s.HasServer(o.Server) {
		errs = append(errs, scenario.FieldError{Field: "server", Msg: fmt.Sprintf("no server named %q", o.Server)})
	}
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, scenario.FieldError{Field: "port", Msg: fmt.Sprintf("want a port 1..65535; got %d", o.Port)})
	}
	return errs
}

// Judge is the ratings-judge role: it holds no state of its own while the
// run goes; at the end (Finish) it reads a ratings server's records and
// ratings over its JSON API, from its own namespace across the simulated
// network, and compares them with the ground truth the viewers of that
// server recorded. It lets a ratings server under test (an exec node, a
// vendor's program) be judged exactly as boxlab's own server judges itself.
//
// The API it reads (the contract of a server under test):
//
//	GET /guide     the service guide (Guide): min_viewing and windows
//	GET /viewings  JSON array of records {session, user, service, program,
//	               start, end, open}: start and end in nanoseconds of the
//	               server's clock, the timestamps of the first and last
//	               content frame (audience.Viewing)
//	GET /ratings   optional: the server's own ratings (audience.Report)
//
// Events: those of Server.Finish's comparison (ratings.summary,
// ratings.compare, ratings.missing, ratings.mismatch,
// ratings.forged_counted) from the records, and ratings.api_compare
// (scope, key, figure, truth, server, abs_error) from the server's own
// /ratings; ratings.judge_error when the API cannot be read or parsed.
type Judge struct {
	Options JudgeOptions
}

// Run waits for the end of the run.
func (j *Judge) Run(ctx context.Context, env *devices.Env) error {
	if _, ok := env.Server(j.Options.Server); !ok {
		return fmt.Errorf("ratings-judge: no server %q", j.Options.Server)
	}
	<-ctx.Done()
	return nil
}

// maxAPIBody bounds what the judge reads from one API answer.
const maxAPIBody = 64 << 20

// Finish reads the server under test's API and compares.
func (j *Judge) Finish(ctx context.Context, env *devices.Env) error {
	addr, _ := env.Server(j.Options.Server)
	base := fmt.Sprintf("http://%s:%d", addr, j.Options.Port)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext:       func(ctx context.Context, n, a string) (net.Conn, error) { return env.NS.DialContext(ctx, n, a) },
		DisableKeepAlives: true,
	}}
	fail := func(what string, err error) error {
		env.Log.Info("ratings.judge_error", "server", j.Options.Server, "what", what, "err", err.Error())
		return fmt.Errorf("ratings-judge: %s: %w", what, err)
	}
	var g Guide
	body, err := get(ctx, hc, base+"/guide")
	if err == nil {
		err = json.Unmarshal(body, &g)
	}
	if err != nil {
		return fail("guide", err)
	}
	body, err = get(ctx, hc, base+"/viewings")
	if err != nil {
		return fail("viewings", err)
	}
	server, err := ParseViewings(body)
	if err != nil {
		return fail("viewings", err)
	}
	var truth []audience.Viewing
	for _, f := range env.Truth.All(TruthTopic(j.Options.Server)) {
		if v, ok := f.(audience.Viewing); ok {
			truth = append(truth, v)
		}
	}
	opts := audience.Options{Min: g.MinViewing, Windows: g.Windows, Now: latest(truth, server)}
	compare(env, truth, server, opts)
	body, err = get(ctx, hc, base+"/ratings")
	if err != nil {
		env.Log.Info("ratings.judge_error", "server", j.Options.Server, "what", "ratings", "err", err.Error())
		return nil // optional
	}
	var own audience.Report
	if err := json.Unmarshal(body, &own); err != nil {
		return fail("ratings", err)
	}
	compareReports(env, audience.Compute(truth, opts), own)
	return nil
}

// latest is the last timestamp of any record: where open records end.
func latest(sets ...[]audience.Viewing) time.Duration {
	var t time.Duration
	for _, vs := range sets {
		for _, v := range vs {
			t = max(t, v.Start, v.End)
		}
	}
	return t
}

func get(ctx context.Context, hc *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody+1))
	if err == nil && len(b) > maxAPIBody {
		err = fmt.Errorf("GET %s: answer over %d bytes", url, maxAPIBody)
	}
	return b, err
}

// maxViewings bounds the records ParseViewings accepts.
const maxViewings = 1 << 20

// ParseViewings reads a /viewings answer: a JSON array (or null) of
// records. A record needs a session, user, service and programme (each a
// plain identifier), start >= 0 and, unless open, end >= start; sessions
// are unique.
func ParseViewings(b []byte) ([]audience.Viewing, error) {
	var vs []audience.Viewing
	if err := json.Unmarshal(b, &vs); err != nil {
		return nil, fmt.Errorf("viewings: %w", err)
	}
	if len(vs) > maxViewings {
		return nil, fmt.Errorf("viewings: %d records; want at most %d", len(vs), maxViewings)
	}
	seen := make(map[string]bool, len(vs))
	for i, v := range vs {
		for _, id := range []string{v.Session, v.User, v.Service, v.Program} {
			if err := checkID(id); err != nil {
				return nil, fmt.Errorf("viewings: record %d: %w", i, err)
			}
		}
		if v.Start < 0 || !v.Open && v.End < v.Start {
			return nil, fmt.Errorf("viewings: record %d (%s): start %v, end %v", i, v.Session, v.Start, v.End)
		}
		if seen[v.Session] {
			return nil, fmt.Errorf("viewings: record %d: session %s twice", i, v.Session)
		}
		seen[v.Session] = true
	}
	if vs == nil {
		vs = []audience.Viewing{}
	}
	return vs, nil
}

// compareReports logs ratings.api_compare for every channel, programme and
// window figure of the truth and of a server's own ratings.
func compareReports(env *devices.Env, truth, own audience.Report) {
	eachFigure(truth, own, func(scope, key, figure string, t, s float64) {
		env.Log.Info("ratings.api_compare", "scope", scope, "key", key, "figure", figure, "truth", t, "server", s, "abs_error", abs(t-s))
	})
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
