package ratings

import (
	"strings"
	"testing"
	"time"
)

func TestControlLines(t *testing.T) {
	a := PollAnswer{Service: "03", Session: "s1", First: 1500 * time.Millisecond, Last: 90 * time.Second}
	l, err := ParseControlLine(a.Line(7)[:len(a.Line(7))-1])
	if err != nil || l.Verb != "ANSWER" || l.Poll != 7 || l.Answer != a {
		t.Fatalf("round trip of %q: %+v, %v", a.Line(7), l, err)
	}
	if l, err := ParseControlLine("ANSWER 8 -"); err != nil || l.Answer.Service != "" || l.Poll != 8 {
		t.Fatalf("no-viewing answer: %+v, %v", l, err)
	}
	if l, err := ParseControlLine("POLL 3 120000"); err != nil || l.At != 2*time.Minute {
		t.Fatalf("POLL: %+v, %v", l, err)
	}
	for line, want := range map[string]string{"SUB 03": "SUB", "UNSUB 01": "UNSUB", "SUBS -": "SUBS", "SUBS 01,03": "SUBS",
		"GUIDE 4": "GUIDE", "ITEM 2 01 3": "ITEM", "VOTE 2 1": "VOTE", "RESULT 2 0,5,1": "RESULT"} {
		if l, err := ParseControlLine(line); err != nil || l.Verb != want {
			t.Errorf("ParseControlLine(%q) = %+v, %v", line, l, err)
		}
	}
	if l, _ := ParseControlLine(SubsLine([]string{"01", "03"})[:10]); len(l.Subs) != 2 || l.Subs[1] != "03" {
		t.Errorf("SUBS round trip: %+v", l)
	}
	if l, err := ParseControlLine(OperatorSubsLine([]string{"05"})[:len("SUBS 05 operator")]); err != nil || !l.ByOp || len(l.Subs) != 1 {
		t.Errorf("SUBS operator round trip: %+v, %v", l, err)
	}
	if l, err := ParseControlLine(strings.TrimSuffix(OperatorSubsLine(nil), "\n")); err != nil || !l.ByOp || len(l.Subs) != 0 {
		t.Errorf("empty SUBS operator: %+v, %v", l, err)
	}
	if l, _ := ParseControlLine("SUBS 01"); l.ByOp {
		t.Error("a terminal-echo SUBS parsed as the operator's")
	}
	if l, _ := ParseControlLine("RESULT 2 0,5,1"); len(l.Counts) != 3 || l.Counts[1] != 5 {
		t.Errorf("RESULT counts %+v", l.Counts)
	}
	for _, bad := range []string{"SUB", "SUBS", "SUBS 01,,02", "SUBS 01 op", "SUBS 01 operator x", "GUIDE x", "ITEM 1 01 1", "ITEM 1 01 99", "VOTE 1 16", "VOTE 1", "RESULT 1 a", "RESULT 1",
		"", "HELLO u", "HELLO u p x", "POLL 1", "POLL x 1", "POLL -1 5", "ANSWER 1", "ANSWER 1 03 s1 5",
		"ANSWER 1 03 s1 9 5", "ANSWER 1 03 s 1 x", "CHALLENGE", "WELCOME now", "NOPE", "HELLO u\x01 p"} {
		if _, err := ParseControlLine(bad); err == nil {
			t.Errorf("ParseControlLine(%q) accepted", bad)
		}
	}
	if ControlProof("pw", "n1") == ControlProof("pw", "n2") || ControlProof("pw", "n1") == ControlProof("pv", "n1") {
		t.Error("proof does not depend on password and nonce")
	}
}

func FuzzParseControlLine(f *testing.F) {
	for _, s := range []string{"CHALLENGE abc", "HELLO u 0123", "WELCOME", "POLL 1 2", "ANSWER 1 -", "ANSWER 1 01 s 1 2", "ERR x",
		"SUBS 01,02 operator", "SUBS -"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseControlLine(s)
		if err == nil && l.Verb == "" {
			t.Fatalf("%q parsed without a verb", s)
		}
	})
}
