package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The JUnit elements below follow the schema Jenkins and GitLab read
// (testsuites > testsuite > testcase > failure|error); times are seconds.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes r as a JUnit XML report: one testsuite named after the
// scenario, one testcase (classname "boxlab.<scenario>") per assertion, a
// <failure> for each failing assertion, and an extra testcase "setup" with an
// <error> if the run itself failed.
func WriteJUnit(w io.Writer, r *Run) error {
	s := junitSuite{
		Name:       r.Scenario,
		Failures:   r.Failures(),
		Time:       seconds(r.Wall),
		Properties: junitProperties(r),
		SystemOut:  timelineText(r.Timeline),
	}
	if !r.Started.IsZero() {
		s.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05") // the schema has no zone
	}
	class := "boxlab." + r.Scenario
	if r.Error != "" {
		s.Errors = 1
		s.Cases = append(s.Cases, junitCase{
			Classname: class, Name: "setup", Time: seconds(0),
			Error: &junitProblem{Message: firstLine(r.Error), Type: "error", Text: r.Error},
		})
	}
	for _, a := range r.Assertions {
		c := junitCase{Classname: class, Name: assertionName(a), Time: seconds(0)}
		if !a.Pass {
			c.Failure = &junitProblem{
				Message: fmt.Sprintf("expected %s, measured %s", a.Expected, a.Measured),
				Type:    "assertion",
				Text:    failureText(a),
			}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{
		Name: "boxlab", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors,
		Time: s.Time, Suites: []junitSuite{s},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitProperties(r *Run) []junitProperty {
	props := []junitProperty{
		{"run_id", r.RunID},
		{"file", r.File},
		{"sim_duration", r.SimDuration.String()},
		{"speed", fmt.Sprint(r.Speed)},
	}
	if r.Description != "" {
		props = append(props, junitProperty{"description", r.Description})
	}
	return props
}

// assertionName is the test case name: the assertion's name, or its
// expression when it has none.
func assertionName(a AssertionResult) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Expr
}

func failureText(a AssertionResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nexpected: %s\nmeasured: %s\n", a.Expr, a.Expected, a.Measured)
	if a.Detail != "" {
		b.WriteString(a.Detail)
		b.WriteString("\n")
	}
	return b.String()
}

func timelineText(tl []TimelineEntry) string {
	var b strings.Builder
	for _, e := range tl {
		fmt.Fprintf(&b, "%s %s on %s (%d nodes)", e.At, e.Do, e.On, e.Nodes)
		if e.For != 0 {
			fmt.Fprintf(&b, " for %s", e.For)
		}
		if e.Error != "" {
			fmt.Fprintf(&b, ": error: %s", e.Error)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func seconds(d Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
