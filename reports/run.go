package reports

import (
	"encoding/json"
	"fmt"
	"time"
)

// Run is everything one boxlab run produced: what was run, how long it took,
// what the topology was, what happened on the timeline, and the verdict.
type Run struct {
	Scenario    string            `json:"scenario"` // scenario name
	File        string            `json:"file"`     // scenario file path
	Description string            `json:"description,omitempty"`
	RunID       string            `json:"run_id"`
	Started     time.Time         `json:"started"`
	Wall        Duration          `json:"wall"`         // real time the whole run took
	SimDuration Duration          `json:"sim_duration"` // simulated scenario length
	Speed       float64           `json:"speed"`        // simulated seconds per real second
	Topology    Topology          `json:"topology"`
	Timeline    []TimelineEntry   `json:"timeline"`
	Assertions  []AssertionResult `json:"assertions"`
	Metrics     []MetricSummary   `json:"metrics"`
	Files       []string          `json:"files"`           // other artefacts next to the report, names relative to it
	Error       string            `json:"error,omitempty"` // setup or run error, if any
}

// Passed reports whether the run had no error and every assertion passed.
// A run without assertions and without an error passes.
func (r *Run) Passed() bool {
	if r.Error != "" {
		return false
	}
	for _, a := range r.Assertions {
		if !a.Pass {
			return false
		}
	}
	return true
}

// Failures counts the assertions that did not pass.
func (r *Run) Failures() int {
	n := 0
	for _, a := range r.Assertions {
		if !a.Pass {
			n++
		}
	}
	return n
}

// Topology summarises the built network: how many of each node kind, how long
// building and tearing it down took, and which NAT profiles the gateways ran.
type Topology struct {
	Namespaces int            `json:"namespaces"`
	Servers    int            `json:"servers"`
	ISPs       int            `json:"isps"`
	Homes      int            `json:"homes"`
	Gateways   int            `json:"gateways"`
	Devices    int            `json:"devices"`
	Build      Duration       `json:"build"`
	Teardown   Duration       `json:"teardown"`
	NAT        map[string]int `json:"nat,omitempty"` // NAT profile -> number of gateways running it
	Groups     []HomeGroup    `json:"groups,omitempty"`
}

// HomeGroup is one group of homes as the scenario declared it, in its
// order: its name, its gateways' NAT profile, how many homes, whether
// nat_options changed the profile's defaults and the ISP (carrier-grade
// NAT) it sits behind, if any. With either of the last two the report does
// not guess the path's NAT behaviour from the profile name.
type HomeGroup struct {
	Name       string `json:"name"`
	NAT        string `json:"nat"`
	Homes      int    `json:"homes"`
	NATOptions bool   `json:"nat_options,omitempty"`
	ISP        string `json:"isp,omitempty"`
}

// TimelineEntry is one timeline event as it was carried out: at simulated
// time At, Do (a fault kind) on the nodes selector On picked (Nodes of them),
// reverted after For if non-zero. Error is set if the fault could not be applied.
type TimelineEntry struct {
	At    Duration `json:"at"`
	Do    string   `json:"do"`
	On    string   `json:"on"`
	Nodes int      `json:"nodes"`
	For   Duration `json:"for,omitempty"`
	Error string   `json:"error,omitempty"`
}

// AssertionResult is one assertion and its verdict: Expr is the expression as
// written, Expected and Measured are human-readable values ("< 200ms",
// "312ms"), Detail says more when useful (which nodes failed, for instance).
type AssertionResult struct {
	Name     string `json:"name"`
	Expr     string `json:"expr"`
	Expected string `json:"expected"`
	Measured string `json:"measured"`
	Pass     bool   `json:"pass"`
	Detail   string `json:"detail,omitempty"`
}

// Duration is a time.Duration that reads and writes in JSON as a Go duration
// string ("1.5s") and is written in JUnit as seconds.
type Duration time.Duration

// String formats the duration like time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// Seconds returns the duration as floating-point seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// MarshalJSON writes the duration as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a duration string such as "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a Go duration string such as \"1.5s\"; got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: want a Go duration string such as \"1.5s\"; got %q", s)
	}
	*d = Duration(v)
	return nil
}
