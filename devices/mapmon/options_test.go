package mapmon

import (
	"testing"
	"time"

	"github.com/boxlab/boxlab/sim/scenario"
)

func TestOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		ok   bool
	}{
		{"defaults", *Roles()[0].Options().(*Options), true},
		{"timeout equal to the check period", Options{Port: 7070, Period: scenario.Duration(time.Second), Timeout: scenario.Duration(time.Second)}, false},
		{"no timeout", Options{Port: 7070, Period: scenario.Duration(time.Second)}, false},
		{"no period", Options{Port: 7070, Timeout: scenario.Duration(time.Second)}, false},
		{"port 0", Options{Period: scenario.Duration(5 * time.Second), Timeout: scenario.Duration(time.Second)}, false},
	} {
		if got := len(tc.o.Check(nil)) == 0; got != tc.ok {
			t.Errorf("%s: Check(%+v) ok = %v; want %v", tc.name, tc.o, got, tc.ok)
		}
	}
}
