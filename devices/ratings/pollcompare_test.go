package ratings

import (
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// Seed 004 §7: method A (records) and method B (poll answers) agree; the
// only disagreements allowed are viewings at a counting edge during the
// poll and viewers who did not answer.
func TestComparePolls(t *testing.T) {
	m, s := time.Minute, time.Second
	rec := func(user, svc, sess string, start, end time.Duration) audience.Viewing {
		return audience.Viewing{User: user, Service: svc, Program: svc + "-000", Session: sess, Start: start, End: end}
	}
	records := []audience.Viewing{
		rec("u1", "01", "a", 0, 5*m),                          // counted at 3m, answered 01
		rec("u2", "01", "b", 1*m, 4*m),                        // counted at 3m, answered 01
		rec("u3", "02", "c", 2*m+1*s, 6*m),                    // start+min = 3m1s: at the edge
		rec("u4", "02", "d", 0, 6*m),                          // counted, did not answer
		rec("u5", "03", "e", 0, 2*m),                          // ended before the poll
		rec("u6", "03", "f", 0, 6*m),                          // counted, but answered nothing: unexplained
		{User: "u7", Service: "04", Session: "g", Open: true}, // open: not counted
	}
	p := &poll{id: 1, at: 3 * m, asked: map[string]bool{"u1": true, "u2": true, "u3": true, "u4": true, "u6": true, "u8": true},
		answers: map[string]PollAnswer{
			"u1": {Service: "01", Session: "a", Last: 3*m - 500*time.Millisecond}, "u2": {Service: "01", Session: "b", Last: 3 * m},
			"u3": {Service: "02", Session: "c", Last: 3 * m}, "u6": {},
			"u8": {Service: "03", Session: "zzz", Last: 3 * m}, // a viewing the server has no record of
		},
		arrived: map[string]time.Duration{"u1": 3*m + 100*time.Millisecond}}
	got := comparePolls([]*poll{p}, records, m, s, 1)
	want := map[string]PollFigure{
		"01": {A: 2, B: 2},
		"02": {A: 1, B: 1, Explained: 2},   // u3 at its edge (B only), u4 silent (A only)
		"03": {A: 1, B: 1, Unexplained: 2}, // u6 said nothing while counted; u8 claims an unknown session
	}
	if len(got) != len(want) {
		t.Fatalf("got %d figures: %+v", len(got), got)
	}
	for _, f := range got {
		w := want[f.Service]
		if f.A != w.A || f.B != w.B || f.Explained != w.Explained || f.Unexplained != w.Unexplained || f.Estimate != float64(f.B) || f.StdErr != 0 {
			t.Errorf("service %s: got %+v; want %+v", f.Service, f, w)
		}
	}
	half := comparePolls([]*poll{p}, records, m, s, 0.5)
	if half[0].Estimate != 4 || half[0].StdErr != 2 {
		t.Errorf("share 0.5, B=2: estimate %v ± %v; want 4 ± 2", half[0].Estimate, half[0].StdErr)
	}
}
