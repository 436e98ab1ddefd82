package conform

import (
	"fmt"
	"time"

	"github.com/boxlab/boxlab/reports"
)

// Matrix is every requirement checked on every NAT under test.
type Matrix struct {
	Started time.Time
	Wall    time.Duration
	Results []Result
}

// Verdict judges one result against its profile's oracle: whether it
// passed, and the expected behaviour as text.
func Verdict(r Result) (bool, string) {
	exp, ok := ExpectedFor(Target{Profile: r.Profile, Options: r.Options})
	if !ok {
		return r.Outcome.Err == "", fmt.Sprintf("%s (no oracle for %s: measured and reported, not judged)", r.Requirement.Level, r.Name)
	}
	e, ok := exp[r.Requirement.ID]
	if !ok {
		return r.Outcome.Err == "", fmt.Sprintf("%s (no expectation: measured only)", r.Requirement.Level)
	}
	return Judge(r.Outcome, e), ExpectText(r.Requirement.Level, e)
}

// ExpectText is an expectation for people: "MUST: complies (EIM)".
func ExpectText(l Level, e Expect) string {
	s := string(l) + ": "
	switch {
	case !e.Applicable:
		s += "not applicable"
	case e.Complies:
		s += "complies"
	default:
		s += "does not comply"
	}
	if e.Behaviour != "" {
		s += " (" + e.Behaviour + ")"
	}
	if e.Why != "" {
		s += "; " + e.Why
	}
	return s
}

// Report is the matrix as a report: one assertion per (profile,
// requirement), passing when the NAT behaved as its profile claims.
func (m *Matrix) Report() *reports.Run {
	run := &reports.Run{
		Scenario:    "nat-conform",
		Description: "RFC 4787 / 5382 / 5508 requirements × NAT profiles: each NAT measured against what its profile claims",
		RunID:       m.Started.Format("20060102-150405"),
		Started:     m.Started,
		Wall:        reports.Duration(m.Wall),
		Speed:       1,
		Topology:    reports.Topology{NAT: map[string]int{}},
		Timeline:    []reports.TimelineEntry{},
		Metrics:     []reports.MetricSummary{},
		Files:       []string{},
	}
	for _, r := range m.Results {
		run.Topology.NAT[r.Name] = 1
		pass, expected := Verdict(r)
		o := r.Outcome
		measured := o.Observed
		if o.Applicable {
			verdict := "complies"
			if !o.Complies {
				verdict = "does not comply"
			}
			measured = verdict + ": " + measured
		} else if o.Err == "" {
			measured = "not applicable: " + measured
		}
		run.Assertions = append(run.Assertions, reports.AssertionResult{
			Name:     r.Name + ": " + r.Requirement.ID,
			Expr:     r.Requirement.Title,
			Expected: expected,
			Measured: measured,
			Pass:     pass,
			Detail:   fmt.Sprintf("behaviour %q; took %v", o.Behaviour, r.Took.Round(time.Millisecond)),
		})
	}
	run.Topology.Homes = len(run.Topology.NAT)
	run.Topology.Gateways = len(run.Topology.NAT)
	return run
}
