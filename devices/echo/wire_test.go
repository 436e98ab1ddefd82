package echo

import (
	"net/netip"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	src := netip.MustParseAddrPort("198.18.0.2:40000")
	seq, err := ParseRequest(Request(42))
	if err != nil || seq != 42 {
		t.Fatalf("ParseRequest = %d, %v", seq, err)
	}
	seq, seen, err := ParseReply(Reply(7, src))
	if err != nil || seq != 7 || seen != src {
		t.Fatalf("ParseReply = %d %v %v", seq, seen, err)
	}
}

func TestBadInput(t *testing.T) {
	for _, in := range []string{"", "\n", "BLECHO1\n", "BLECHO1 x\n", "BLECHO2 1\n", "BLECHO1 1", "BLECHO1 -1\n",
		"BLECHO1 1 2\n", "BLECHO1 99999999999999999999999\n"} {
		if _, err := ParseRequest([]byte(in)); err == nil {
			t.Errorf("ParseRequest(%q) accepted", in)
		}
	}
	for _, in := range []string{"", "BLECHO1 1\n", "BLECHO1 1 1.2.3.4\n", "BLECHO1 x 1.2.3.4:5\n", "BLECHO1 1 1.2.3.4:5 6\n"} {
		if _, _, err := ParseReply([]byte(in)); err == nil {
			t.Errorf("ParseReply(%q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("BLECHO1 1\n"))
	f.Add([]byte("BLECHO1 1 1.2.3.4:5\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if seq, err := ParseRequest(b); err == nil {
			if got, _ := ParseRequest(Request(seq)); got != seq {
				t.Fatalf("request %d does not round-trip", seq)
			}
		}
		if seq, seen, err := ParseReply(b); err == nil {
			if s2, seen2, err := ParseReply(Reply(seq, seen)); err != nil || s2 != seq || seen2 != seen {
				t.Fatalf("reply %d %v does not round-trip", seq, seen)
			}
		}
	})
}
