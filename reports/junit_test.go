package reports

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
)

// parsedJUnit is what a JUnit consumer (Jenkins, GitLab) reads, declared
// apart from the writer's types so the test checks the document, not the code.
type parsedJUnit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitCounts(t *testing.T) {
	passing := sampleRun()
	passing.Assertions[1].Pass = true
	errored := sampleRun()
	errored.Error = "build: home3-gw: nft: operation not permitted\nsee exec/home3-gw.log"
	errored.Assertions = nil
	tests := []struct {
		name                    string
		run                     *Run
		tests, failures, errors int
		failing                 []string // test case names with a <failure>
		erroring                []string // test case names with an <error>
	}{
		{"passing run: one case per assertion", passing, 3, 0, 0, nil, nil},
		{"failing run: failing assertion has <failure>", sampleRun(), 3, 1, 0, []string{"acs latency"}, nil},
		{"errored run: extra case setup with <error>", errored, 1, 0, 1, nil, []string{"setup"}},
		{"no assertions, no error: empty suite", &Run{Scenario: "idle"}, 0, 0, 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJUnit(&buf, tt.run); err != nil {
				t.Fatal(err)
			}
			var doc parsedJUnit
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("does not parse: %v\n%s", err, buf.Bytes())
			}
			if doc.Tests != tt.tests || doc.Failures != tt.failures || doc.Errors != tt.errors {
				t.Errorf("testsuites tests/failures/errors = %d/%d/%d, want %d/%d/%d",
					doc.Tests, doc.Failures, doc.Errors, tt.tests, tt.failures, tt.errors)
			}
			if len(doc.Suites) != 1 {
				t.Fatalf("%d testsuites, want 1", len(doc.Suites))
			}
			s := doc.Suites[0]
			if s.Name != tt.run.Scenario {
				t.Errorf("testsuite name = %q, want %q", s.Name, tt.run.Scenario)
			}
			if s.Tests != tt.tests || s.Failures != tt.failures || s.Errors != tt.errors || len(s.Cases) != tt.tests {
				t.Errorf("testsuite tests/failures/errors/cases = %d/%d/%d/%d, want %d/%d/%d/%d",
					s.Tests, s.Failures, s.Errors, len(s.Cases), tt.tests, tt.failures, tt.errors, tt.tests)
			}
			if _, err := strconv.ParseFloat(s.Time, 64); err != nil {
				t.Errorf("testsuite time %q is not seconds", s.Time)
			}
			var failing, erroring []string
			for _, c := range s.Cases {
				if want := "boxlab." + tt.run.Scenario; c.Classname != want {
					t.Errorf("case %q classname = %q, want %q", c.Name, c.Classname, want)
				}
				if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
					t.Errorf("case %q time %q is not seconds", c.Name, c.Time)
				}
				if c.Failure != nil {
					failing = append(failing, c.Name)
				}
				if c.Error != nil {
					erroring = append(erroring, c.Name)
				}
			}
			if strings.Join(failing, ",") != strings.Join(tt.failing, ",") {
				t.Errorf("failing cases %q, want %q", failing, tt.failing)
			}
			if strings.Join(erroring, ",") != strings.Join(tt.erroring, ",") {
				t.Errorf("erroring cases %q, want %q", erroring, tt.erroring)
			}
		})
	}
}

func TestJUnitMessages(t *testing.T) {
	r := sampleRun()
	r.Error = "run: device-crash: <home3> & \"friends\"\nmore"
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration:\n%s", buf.String())
	}
	var doc parsedJUnit
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	cases := doc.Suites[0].Cases
	if got := cases[0]; got.Name != "setup" || got.Error.Message != "run: device-crash: <home3> & \"friends\"" || got.Error.Text != r.Error {
		t.Errorf("setup case = %+v", got)
	}
	f := cases[2].Failure
	if f == nil {
		t.Fatalf("case %q has no failure", cases[2].Name)
	}
	if want := "expected < 2s, measured 3.41s"; f.Message != want {
		t.Errorf("failure message = %q, want %q", f.Message, want)
	}
	if !strings.Contains(f.Text, "worst homes: home17") {
		t.Errorf("failure text lacks the detail: %q", f.Text)
	}
	if doc.Suites[0].Time != "95.420" {
		t.Errorf("suite time = %q, want wall time in seconds 95.420", doc.Suites[0].Time)
	}
}

func TestJUnitUnnamedAssertionUsesExpression(t *testing.T) {
	r := &Run{Scenario: "s", Assertions: []AssertionResult{{Expr: "count(x) > 0", Pass: true}}}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc parsedJUnit
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Suites[0].Cases[0].Name; got != "count(x) > 0" {
		t.Errorf("case name = %q, want the expression", got)
	}
}
