package reports

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPassed(t *testing.T) {
	pass := AssertionResult{Name: "a", Pass: true}
	fail := AssertionResult{Name: "b", Pass: false}
	tests := []struct {
		name string
		run  Run
		want bool
	}{
		{"no assertions, no error: passed", Run{}, true},
		{"all assertions pass", Run{Assertions: []AssertionResult{pass, pass}}, true},
		{"one assertion fails", Run{Assertions: []AssertionResult{pass, fail}}, false},
		{"run error, no assertions", Run{Error: "build: netns: permission denied"}, false},
		{"run error, assertions pass", Run{Error: "teardown failed", Assertions: []AssertionResult{pass}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run.Passed(); got != tt.want {
				t.Errorf("Passed() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		json    string
		want    Duration
		wantErr string
	}{
		{`"1.5s"`, Duration(1500 * time.Millisecond), ""},
		{`"1m30s"`, Duration(90 * time.Second), ""},
		{`"0s"`, 0, ""},
		{`"250µs"`, Duration(250 * time.Microsecond), ""},
		{`1500`, 0, `want a Go duration string such as "1.5s"; got 1500`},
		{`"soon"`, 0, `want a Go duration string such as "1.5s"; got "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tt.json), &d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d != tt.want {
				t.Errorf("got %v, want %v", d, tt.want)
			}
			out, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var back Duration
			if err := json.Unmarshal(out, &back); err != nil || back != d {
				t.Errorf("round trip %s -> %s -> %v (%v)", tt.json, out, back, err)
			}
		})
	}
}
