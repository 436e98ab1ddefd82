package ratings

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// TruthTopic is where viewers of server post their ground truth
// (audience.Viewing values) on Env.Truth.
func TruthTopic(server string) string { return "ratings/" + server }

// Finish compares the server's ratings with the viewers' ground truth and
// emits the events scenarios assert on:
//
//	ratings.summary        viewings_truth, viewings_server, open_server (floats)
//	ratings.compare        one per channel, programme and window and figure
//	                       (viewers, viewings, total): truth, server, abs_error
//	ratings.forged_counted a server record no viewer made
//	ratings.missing        a true viewing the server has no closed record of
//	ratings.mismatch       a record whose times differ from the truth
//	ratings.polls          polls and answers of method B
//	ratings.poll_compare   one per poll and channel: a (method A), b (poll
//	                       answers), estimate ± stderr, abs_error, explained
//	                       and unexplained disagreements (PollFigure)
//	ratings.interactive_compare one per interaction item and choice: truth
//	                       (votes the viewers sent), server (its tally), abs_error
//	ratings.store          db_bytes (database + WAL, after a checkpoint) and records
func (s *Server) Finish(ctx context.Context, env *devices.Env) error {
	if s.db == nil {
		return fmt.Errorf("ratings-server: not running")
	}
	var truth []audience.Viewing
	for _, f := range env.Truth.All(TruthTopic(env.Node)) {
		if v, ok := f.(audience.Viewing); ok {
			truth = append(truth, v)
		}
	}
	server, err := s.db.viewings(ctx)
	if err != nil {
		return err
	}
	compare(env, truth, server, s.computeOptions())
	s.onMu.Lock()
	polls := s.polls
	s.onMu.Unlock()
	answers := 0
	for _, p := range polls {
		answers += len(p.answers)
	}
	env.Log.Info("ratings.polls", "polls", float64(len(polls)), "answers", float64(answers))
	for _, f := range comparePolls(polls, server, time.Duration(s.Options.MinViewing), time.Duration(s.Options.Frame), s.Options.PollSample) {
		d := math.Abs(float64(f.A) - f.Estimate)
		env.Log.Info("ratings.poll_compare", "poll", float64(f.Poll), "at", f.At, "service", f.Service, "a", float64(f.A),
			"b", float64(f.B), "estimate", f.Estimate, "stderr", f.StdErr, "abs_error", d,
			"explained", float64(f.Explained), "unexplained", float64(f.Unexplained))
		for _, why := range f.Why {
			env.Log.Info("ratings.poll_unexplained", "poll", float64(f.Poll), "at", f.At, "service", f.Service, "why", why)
		}
	}
	s.compareVotes(env)
	if err := s.db.checkpoint(ctx); err != nil {
		return fmt.Errorf("ratings-server: checkpoint: %w", err)
	}
	env.Log.Info("ratings.store", "db_bytes", float64(s.db.size(ctx)), "records", float64(len(server)))
	return nil
}

func compare(env *devices.Env, truth, server []audience.Viewing, o audience.Options) {
	log := env.Log
	rt, rs := audience.Compute(truth, o), audience.Compute(server, o)
	open := 0
	bySession := map[string]audience.Viewing{}
	for _, v := range server {
		bySession[v.Session] = v
		if v.Open {
			open++
		}
	}
	log.Info("ratings.summary", "viewings_truth", float64(rt.Viewings), "viewings_server", float64(rs.Viewings),
		"records_server", float64(len(server)), "open_server", float64(open))
	eachFigure(rt, rs, func(scope, key, figure string, t, sv float64) {
		log.Info("ratings.compare", "scope", scope, "key", key, "figure", figure, "truth", t, "server", sv, "abs_error", abs(t-sv))
	})
	known := map[string]bool{}
	for _, v := range truth {
		known[v.Session] = true
		got, ok := bySession[v.Session]
		switch {
		case !ok || got.Open:
			log.Info("ratings.missing", "session", v.Session, "user", v.User, "service", v.Service)
		case got.Start != v.Start || got.End != v.End || got.User != v.User || got.Service != v.Service || got.Program != v.Program:
			log.Info("ratings.mismatch", "session", v.Session, "user", v.User,
				"truth", fmt.Sprintf("%s %s %v-%v", v.Service, v.Program, v.Start, v.End),
				"server", fmt.Sprintf("%s %s %v-%v", got.Service, got.Program, got.Start, got.End))
		}
	}
	for _, v := range server {
		if !known[v.Session] {
			log.Info("ratings.forged_counted", "session", v.Session, "user", v.User, "service", v.Service, "open", v.Open)
		}
	}
}

func union(a, b map[string]audience.Figures) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// eachFigure calls fn for every channel, programme and window figure
// (viewers, viewings, total seconds) of the truth and of a server's report.
func eachFigure(truth, own audience.Report, fn func(scope, key, figure string, t, s float64)) {
	for _, scope := range []struct {
		name     string
		truth, s map[string]audience.Figures
	}{{"channel", truth.Channels, own.Channels}, {"programme", truth.Programmes, own.Programmes}, {"window", truth.Windows, own.Windows}} {
		for _, k := range union(scope.truth, scope.s) {
			t, sv := scope.truth[k], scope.s[k]
			fn(scope.name, k, "viewers", float64(t.Viewers), float64(sv.Viewers))
			fn(scope.name, k, "viewings", float64(t.Viewings), float64(sv.Viewings))
			fn(scope.name, k, "total", t.Total.Seconds(), sv.Total.Seconds())
		}
	}
}
