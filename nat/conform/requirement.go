package conform

import (
	"context"
	"fmt"
	"time"

	"github.com/boxlab/boxlab/sim/runner"
)

// Level is the RFC 2119 strength of a requirement.
type Level string

// Levels.
const (
	MUST        Level = "MUST"
	SHOULD      Level = "SHOULD"
	RECOMMENDED Level = "RECOMMENDED"
	MAY         Level = "MAY"
)

// Requirement is one testable requirement and its check.
type Requirement struct {
	ID    string // "RFC4787 REQ-1"
	Title string
	Level Level
	// Speed is the scenario speed the check runs at (default 1); checks that
	// measure a NAT timer run fast so that minutes take seconds.
	Speed float64
	// Timeout bounds the check in real time (default 30 s).
	Timeout time.Duration
	Check   func(ctx context.Context, h *Harness) Outcome
}

// Outcome is what a check measured.
type Outcome struct {
	Complies   bool   // the NAT meets the requirement
	Applicable bool   // the requirement could be tested on this NAT
	Behaviour  string // a short label of what was seen ("EIM", "APDF", "30s-60s"), for oracles
	Observed   string // what was measured, for people
	Err        string // the check could not run (setup failure); not a verdict
}

// comply is an applicable outcome.
func comply(ok bool, behaviour, format string, args ...any) Outcome {
	return Outcome{Complies: ok, Applicable: true, Behaviour: behaviour, Observed: fmt.Sprintf(format, args...)}
}

// notApplicable says why a requirement could not be tested.
func notApplicable(format string, args ...any) Outcome {
	return Outcome{Behaviour: "n/a", Observed: fmt.Sprintf(format, args...)}
}

// failed is a check that could not run.
func failed(err error) Outcome {
	return Outcome{Err: err.Error(), Observed: "error: " + err.Error()}
}

// Result is one requirement checked on one NAT.
type Result struct {
	Name        string // the target's label
	Profile     string
	Options     string // the target's nat_options, if any
	Requirement Requirement
	Outcome     Outcome
	Took        time.Duration
}

// Check builds a fresh conformance topology for t at the requirement's
// speed, runs the check within its timeout and tears the topology down.
func Check(ctx context.Context, cat *runner.Catalog, t Target, r Requirement) Result {
	start := time.Now()
	res := Result{Name: t.Label(), Profile: t.Profile, Options: t.Options, Requirement: r}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	h, err := New(ctx, cat, t, r.Speed)
	if err != nil {
		res.Outcome = failed(fmt.Errorf("build: %w", err))
		res.Took = time.Since(start)
		return res
	}
	res.Outcome = r.Check(ctx, h)
	if err := ctx.Err(); err != nil && res.Outcome.Err == "" && !res.Outcome.Applicable {
		res.Outcome = failed(fmt.Errorf("check did not finish in %v", timeout))
	}
	if err := h.Close(); err != nil && res.Outcome.Err == "" {
		res.Outcome.Err = "teardown: " + err.Error()
	}
	res.Took = time.Since(start)
	return res
}

// Requirements is the catalogue, in RFC order.
func Requirements() []Requirement {
	var rs []Requirement
	rs = append(rs, udpRequirements()...)
	rs = append(rs, tcpRequirements()...)
	rs = append(rs, tcpOtherRequirements()...)
	rs = append(rs, icmpRequirements()...)
	return rs
}

// Find returns the requirement with the ID.
func Find(id string) (Requirement, bool) {
	for _, r := range Requirements() {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}
