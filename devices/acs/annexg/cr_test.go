package annexg

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

var cpe = netip.MustParseAddrPort("198.18.0.7:7547")

func signed(ts uint64, id string, v SenderVariant) []byte {
	return Build(cpe, NewCR(ts, id, "cpe", "0123456789abcdef", "secret", v), v)
}

func TestBuildCanonical(t *testing.T) {
	b := string(signed(1700000000, "42", SenderVariant{}))
	if !strings.HasPrefix(b, "GET http://198.18.0.7:7547?ts=1700000000&id=42&un=cpe&cn=0123456789abcdef&sig=") ||
		!strings.HasSuffix(b, " HTTP/1.1\r\nHost: 198.18.0.7:7547\r\n\r\n") {
		t.Fatalf("TR-069 Annex G canonical form (GenieACS): got %q", b)
	}
}

func TestParseVariants(t *testing.T) {
	for _, c := range []struct {
		name string
		v    SenderVariant
	}{
		{"GenieACS: seconds, lower hex, ?, Host", SenderVariant{}},
		{"FreeACS: milliseconds, UPPER hex, /?, no Host", SenderVariant{Millis: true, Upper: true, Slash: true, NoHost: true}},
		{"SHA-256 snippet", SenderVariant{SHA256: true}},
	} {
		b := signed(1700000000123, "7", c.v)
		cr, err := Parse(b)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if cr.TS != "1700000000123" || cr.ID != "7" || cr.Un != "cpe" {
			t.Errorf("%s: parsed %+v", c.name, cr)
		}
	}
	if _, err := Parse([]byte("GET /?ts=1&id=2&un=u&cn=c&sig=" + strings.Repeat("a", 40) + " HTTP/1.1\r\n\r\n")); err != nil {
		t.Errorf("origin-form /?…: %v", err)
	}
}

func TestParseRefuses(t *testing.T) {
	good := string(signed(1, "1", SenderVariant{}))
	sig := strings.Repeat("a", 40)
	for _, c := range []struct{ name, in string }{
		{"empty", ""},
		{"POST", strings.Replace(good, "GET", "POST", 1)},
		{"HTTP/1.0 (Works Systems requires 1.1)", strings.Replace(good, "HTTP/1.1", "HTTP/1.0", 1)},
		{"no CRLF", "GET http://h:1?ts=1&id=1&un=u&cn=c&sig=" + sig + " HTTP/1.1"},
		{"duplicate ts (Works Systems)", "GET http://h:1?ts=1&ts=2&id=1&un=u&cn=c&sig=" + sig + " HTTP/1.1\r\n\r\n"},
		{"missing cn", "GET http://h:1?ts=1&id=1&un=u&sig=" + sig + " HTTP/1.1\r\n\r\n"},
		{"ts not decimal", "GET http://h:1?ts=0x1&id=1&un=u&cn=c&sig=" + sig + " HTTP/1.1\r\n\r\n"},
		{"negative ts", "GET http://h:1?ts=-1&id=1&un=u&cn=c&sig=" + sig + " HTTP/1.1\r\n\r\n"},
		{"short sig (RDK: exactly 40 hex)", "GET http://h:1?ts=1&id=1&un=u&cn=c&sig=abc HTTP/1.1\r\n\r\n"},
		{"non-hex sig", "GET http://h:1?ts=1&id=1&un=u&cn=c&sig=" + strings.Repeat("z", 40) + " HTTP/1.1\r\n\r\n"},
		{"other path", "GET http://h:1/cr?ts=1&id=1&un=u&cn=c&sig=" + sig + " HTTP/1.1\r\n\r\n"},
		{"oversized", good + strings.Repeat("X-Pad: y\r\n", 200)},
		{"garbage header", strings.Replace(good, "Host: 198.18.0.7:7547", "Host", 1)},
	} {
		if _, err := Parse([]byte(c.in)); err == nil {
			t.Errorf("%s: accepted %q", c.name, c.in)
		}
	}
}

type step struct {
	name   string
	msg    []byte
	at     time.Duration
	ok     bool
	reason string
}

func run(t *testing.T, r *Receiver, steps []step) {
	t.Helper()
	for _, s := range steps {
		v := r.Check(s.msg, s.at)
		if v.OK != s.ok || (!s.ok && v.Reason != s.reason) {
			t.Errorf("%s: got ok=%v reason=%q; want ok=%v reason=%q", s.name, v.OK, v.Reason, s.ok, s.reason)
		}
	}
}

func TestReceiverG214(t *testing.T) {
	canon := SenderVariant{}
	forged := Build(cpe, CR{TS: "9999999999", ID: "x", Un: "cpe", Cn: "c", Sig: strings.Repeat("0", 40)}, canon)
	wrongUser := Build(cpe, NewCR(200, "u1", "intruder", "c", "secret", canon), canon)
	wrongKey := Build(cpe, NewCR(200, "k1", "cpe", "c", "guess", canon), canon)
	r := &Receiver{Username: "cpe", Password: "secret"}
	run(t, r, []step{
		{"TR-069 G.2.1.4: a valid request is accepted", signed(100, "a", canon), 0, true, ""},
		{"TR-069 G.2.1.4: the ACS's second copy (same id) is refused", signed(100, "a", canon), time.Second, false, ReasonStaleTS},
		{"TR-069 G.2.1.4: ts not later than last is refused", signed(100, "b", canon), time.Second, false, ReasonStaleTS},
		{"TR-069 G.2.1.4: ts earlier than last is refused", signed(99, "c", canon), time.Second, false, ReasonStaleTS},
		{"TR-069 G.2.1.4: id equal to last is refused", signed(101, "a", canon), time.Second, false, ReasonReplayedID},
		{"TR-069 G.2.1.4: un other than the username is refused", wrongUser, time.Second, false, ReasonUsername},
		{"TR-069 G.2.1.4: a wrong signature is refused", wrongKey, time.Second, false, ReasonSignature},
		{"TR-069 G.2.1.4: a forged large ts changes no state", forged, time.Second, false, ReasonSignature},
		{"after the forgery a genuine request still passes", signed(102, "d", canon), 2 * time.Second, true, ""},
		{"upper-case hex signature is accepted (FreeACS)", signed(103, "e", SenderVariant{Upper: true}), 3 * time.Second, true, ""},
		{"SHA-256 is refused unless the variant accepts it", signed(104, "f", SenderVariant{SHA256: true}), 4 * time.Second, false, ReasonSignature},
		{"garbage is malformed", []byte("\x00\x01garbage"), 5 * time.Second, false, ReasonMalformed},
	})
}

func TestReceiverVariants(t *testing.T) {
	canon := SenderVariant{}
	forged := Build(cpe, CR{TS: "9999999999", ID: "x", Un: "cpe", Cn: "c", Sig: strings.Repeat("0", 40)}, canon)
	t.Run("RDK-B: equal ts allowed", func(t *testing.T) {
		run(t, &Receiver{Username: "cpe", Password: "secret", Variant: ReceiverVariant{AllowEqualTS: true}}, []step{
			{"first", signed(100, "a", canon), 0, true, ""},
			{"equal ts, new id passes", signed(100, "b", canon), 0, true, ""},
			{"equal ts, same id is a replay", signed(100, "b", canon), 0, false, ReasonReplayedID},
		})
	})
	t.Run("icwmp: state updated before authentication", func(t *testing.T) {
		run(t, &Receiver{Username: "cpe", Password: "secret", Variant: ReceiverVariant{UpdateBeforeAuth: true}}, []step{
			{"first", signed(100, "a", canon), 0, true, ""},
			{"a forged large ts is refused", forged, 0, false, ReasonSignature},
			{"but blocks the next genuine request (the icwmp flaw)", signed(101, "b", canon), 0, false, ReasonStaleTS},
		})
	})
	t.Run("32-bit ts: milliseconds wrap", func(t *testing.T) {
		ms := SenderVariant{Millis: true}
		run(t, &Receiver{Username: "cpe", Password: "secret", Variant: ReceiverVariant{TS32: true}}, []step{
			{"first", signed(1<<32-10, "a", ms), 0, true, ""},
			{"a later ms ts wraps below the last and is refused", signed(1<<32+5, "b", ms), 0, false, ReasonStaleTS},
		})
	})
	t.Run("rate limit (Works Systems 30 s)", func(t *testing.T) {
		run(t, &Receiver{Username: "cpe", Password: "secret", Variant: ReceiverVariant{RateLimit: 30 * time.Second}}, []step{
			{"first", signed(100, "a", canon), time.Second, true, ""},
			{"within 30 s", signed(101, "b", canon), 10 * time.Second, false, ReasonRateLimited},
			{"after 30 s", signed(102, "c", canon), 40 * time.Second, true, ""},
		})
	})
	t.Run("SHA-256 accepted by the variant", func(t *testing.T) {
		run(t, &Receiver{Username: "cpe", Password: "secret", Variant: ReceiverVariant{AcceptSHA256: true}}, []step{
			{"sha256", signed(100, "a", SenderVariant{SHA256: true}), 0, true, ""},
		})
	})
	t.Run("no credentials configured", func(t *testing.T) {
		run(t, &Receiver{}, []step{{"refused", signed(100, "a", canon), 0, false, ReasonNoCredential}})
	})
}

func FuzzParse(f *testing.F) {
	f.Add(signed(1700000000, "42", SenderVariant{}))
	f.Add(signed(1700000000123, "42", SenderVariant{Millis: true, Upper: true, Slash: true, NoHost: true}))
	f.Add([]byte("GET /?ts=1&id=2&un=u&cn=c&sig=" + strings.Repeat("a", 40) + " HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &Receiver{Username: "cpe", Password: "secret"}
		before := *r
		v := r.Check(b, time.Second)
		if !v.OK && *r != before {
			t.Fatalf("TR-069 G.2.1.4: a refused request (%s) changed state", v.Reason)
		}
		cr, err := Parse(b)
		if err != nil {
			return
		}
		again, err := Parse(Build(cpe, cr, SenderVariant{}))
		if err != nil || again != cr {
			t.Fatalf("round trip: %+v -> %+v (%v)", cr, again, err)
		}
	})
}
