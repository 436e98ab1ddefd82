package acs

import (
	"testing"
	"time"
)

func TestQueueStates(t *testing.T) {
	s := time.Second
	q := &Queue{Policy: Policy{Retry: 5 * s, MaxRetry: 20 * s, Attempts: 3, TTL: 60 * s}}
	yes := func(string) bool { return true }
	a := q.Add("stb1", Command{Kind: "get"}, 0)
	b := q.Add("stb1", Command{Kind: "set"}, 0)
	due, _ := q.Due(0, func(string) bool { return false })
	if len(due) != 0 || a.State != Queued {
		t.Fatalf("no binding: want nothing due, state queued; got %d, %s", len(due), a.State)
	}
	due, _ = q.Due(1*s, yes)
	if len(due) != 1 || due[0] != a {
		t.Fatalf("one job per device at a time, oldest first: got %v", due)
	}
	q.Sent(a, 1*s)
	if a.State != Sent || a.Next != 6*s {
		t.Fatalf("sent: state %s next %v; want sent, 6s", a.State, a.Next)
	}
	if due, _ = q.Due(5*s, yes); len(due) != 0 {
		t.Fatal("retried before the backoff")
	}
	due, _ = q.Due(6*s, yes)
	q.Sent(due[0], 6*s)
	if a.Next != 16*s {
		t.Fatalf("backoff doubles: next %v; want 16s", a.Next)
	}
	if j, ok := q.Fetch("stb1"); !ok || j != a || a.State != Fetched {
		t.Fatalf("fetch: %v %v", j, ok)
	}
	if _, err := q.Finish(a.ID, "other", true, "", 7*s); err == nil {
		t.Error("a result from another device is refused")
	}
	if j, err := q.Finish(a.ID, "stb1", true, "", 7*s); err != nil || j.State != Done {
		t.Fatalf("finish: %v %v", j, err)
	}
	if _, err := q.Finish(a.ID, "stb1", true, "", 8*s); err == nil {
		t.Error("a second result for a done command is refused")
	}
	// b runs out of attempts: sent at 8, 13 (+5), 23 (+10); fails at 43 (+20).
	for _, at := range []time.Duration{8 * s, 13 * s, 23 * s} {
		due, _ = q.Due(at, yes)
		if len(due) != 1 || due[0] != b {
			t.Fatalf("at %v: want b due; got %v", at, due)
		}
		q.Sent(b, at)
	}
	_, ended := q.Due(43*s, yes)
	if len(ended) != 1 || b.State != Failed || b.Reason != "no-session" {
		t.Fatalf("failed after %d attempts: state %s reason %q", q.Policy.Attempts, b.State, b.Reason)
	}
	c := q.Add("stb2", Command{Kind: "reboot"}, 50*s)
	_, ended = q.Due(110*s, func(string) bool { return false })
	if len(ended) != 1 || c.State != Expired {
		t.Fatalf("ttl: state %s; want expired", c.State)
	}
	if n := q.Counts(); n[Done] != 1 || n[Failed] != 1 || n[Expired] != 1 {
		t.Errorf("counts %v", n)
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{"lin3-stb0": "lin", "home12-box1": "home", "my-group0-stb": "my-group", "acs": ""} {
		if got := group(in); got != want {
			t.Errorf("group(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestQueueInFlightCap(t *testing.T) {
	s := time.Second
	q := &Queue{Policy: Policy{Retry: 5 * s, MaxRetry: 20 * s, Attempts: 3, TTL: 60 * s, InFlight: 2}}
	yes := func(string) bool { return true }
	var jobs []*Job
	for _, dev := range []string{"a", "b", "c", "d"} {
		jobs = append(jobs, q.Add(dev, Command{Kind: "get"}, 0))
	}
	due, _ := q.Due(0, yes)
	if len(due) != 2 || due[0] != jobs[0] || due[1] != jobs[1] {
		t.Fatalf("cap 2: want a and b due, oldest first; got %v", due)
	}
	for _, j := range due {
		q.Sent(j, 0)
	}
	if due, _ = q.Due(1*s, yes); len(due) != 0 {
		t.Fatalf("two requests under way: want nothing more due; got %v", due)
	}
	q.Fetch("a") // a's session is on: still under way
	if due, _ = q.Due(2*s, yes); len(due) != 0 {
		t.Fatalf("a fetched, b awaiting its session: want nothing due; got %v", due)
	}
	q.Finish(jobs[0].ID, "a", true, "", 3*s)
	if due, _ = q.Due(3*s, yes); len(due) != 1 || due[0] != jobs[2] {
		t.Fatalf("a done: want c due; got %v", due)
	}
	q.Sent(jobs[2], 3*s)
	// b's retry wait ends at 5 s: b is no longer under way, and its new
	// attempt takes the one free place before d, which is younger.
	if due, _ = q.Due(5*s, yes); len(due) != 1 || due[0] != jobs[1] {
		t.Fatalf("b's wait over, c under way: want b; got %v", due)
	}
}
