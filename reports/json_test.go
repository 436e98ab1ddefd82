package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	errored := sampleRun()
	errored.Error = "build: home3-gw: nft: operation not permitted"
	errored.Assertions = []AssertionResult{}
	tests := []struct {
		name string
		run  *Run
	}{
		{"sample run", sampleRun()},
		{"errored run", errored},
		{"empty lists", &Run{Scenario: "empty", Timeline: []TimelineEntry{}, Assertions: []AssertionResult{}, Metrics: []MetricSummary{}, Files: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, tt.run); err != nil {
				t.Fatal(err)
			}
			var got Run
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%v\n%s", err, buf.Bytes())
			}
			if !reflect.DeepEqual(withoutNaN(&got), withoutNaN(tt.run)) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v\njson %s", got, *tt.run, buf.Bytes())
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	var buf bytes.Buffer
	r := sampleRun()
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`"run_id": "20250601T101500-7f3a"`,
		`"sim_duration": "10m0s"`,
		`"wall": "1m35.42s"`,
		`"started": "2025-06-01T10:15:00Z"`,
		`"expr": "p95(cwmp.session.seconds) < 2s"`, // not \u003c: readable
		`"p95": 3.41`,
		`"min": null`,      // NaN has no JSON form
		"\n  \"scenario\"", // indented
	} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

func TestJSONNilListsAreEmptyArrays(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, &Run{Scenario: "bare"}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"timeline", "assertions", "metrics", "files"} {
		if want := `"` + key + `": []`; !strings.Contains(buf.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, buf.String())
		}
	}
}

// withoutNaN copies r with NaN metric values replaced by a sentinel, since
// NaN != NaN would make any run with an empty metric compare unequal.
func withoutNaN(r *Run) Run {
	c := *r
	c.Metrics = nil
	for _, m := range r.Metrics {
		for _, p := range []*float64{&m.Sum, &m.Min, &m.Max, &m.Mean, &m.P50, &m.P95, &m.P99} {
			if math.IsNaN(*p) {
				*p = -12345
			}
		}
		c.Metrics = append(c.Metrics, m)
	}
	return c
}
