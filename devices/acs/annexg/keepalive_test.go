package annexg

import (
	"net/netip"
	"testing"
	"time"

	"github.com/boxlab/boxlab/nat/stun"
)

var src = netip.MustParseAddrPort("198.18.0.7:40000")

func ka(d stun.Dialect, user, password string, mods ...func(*stun.Message)) []byte {
	tid := stun.NewClassicTransactionID()
	if d == stun.RFC5389 {
		tid = stun.NewTransactionID()
	}
	m := &stun.Message{Dialect: d, Type: stun.BindingRequest, TransactionID: tid}
	if user != "" {
		m.Add(stun.AttrUsername, []byte(user))
	}
	m.Add(stun.AttrConnectionRequestBinding, []byte(stun.CRBValue))
	for _, f := range mods {
		f(m)
	}
	var b []byte
	if password == "" {
		b, _ = m.Encode()
	} else {
		b, _ = stun.EncodeSigned(m, password)
	}
	return b
}

func TestCheckKeepalive(t *testing.T) {
	cred := &Credential{Device: "stb1", Password: "pw", Min: 20 * time.Second}
	lookup := func(u string) (*Credential, bool) { return cred, u == "stb1" }
	for _, d := range []stun.Dialect{stun.Classic, stun.RFC5389} {
		unknownCode, badMICode := 401, 401
		if d == stun.Classic {
			unknownCode, badMICode = 432, 431
		}
		for _, c := range []struct {
			name   string
			msg    []byte
			ok     bool
			reason string
			code   int
		}{
			{"TR-111: USERNAME + valid MESSAGE-INTEGRITY + CRB is a keepalive", ka(d, "stb1", "pw"), true, "", 0},
			{"TR-111: CRB without the trailing space is accepted", ka(d, "stb1", "pw", func(m *stun.Message) { m.Attrs[1].Value = []byte("dslforum.org/TR-111") }), true, "", 0},
			{"RFC 3489 §9.2 / RFC 5389 §10.1.2: no MESSAGE-INTEGRITY gets a 401 challenge", ka(d, "stb1", ""), false, KAUnauth, 401},
			{"no USERNAME gets a 401 challenge", ka(d, "", ""), false, KAUnauth, 401},
			{"seed 000 step 3: a wrong password changes nothing (431/401)", ka(d, "stb1", "guess"), false, KABadIntegrity, badMICode},
			{"unknown USERNAME (432/401)", ka(d, "nobody", "pw"), false, KAUnknownUser, unknownCode},
			{"a Binding Request without CRB is answered, not a keepalive", func() []byte {
				b, _ := (&stun.Message{Dialect: d, Type: stun.BindingRequest, TransactionID: stun.NewTransactionID()}).Encode()
				return b
			}(), false, KANotKeepalive, 0},
			{"unknown comprehension-required attribute gets 420", ka(d, "stb1", "pw", func(m *stun.Message) { m.Add(0x0077, []byte("x")) }), false, KAUnknownAttr, 420},
			{"truncated STUN is not answered", ka(d, "stb1", "pw")[:30], false, KAMalformed, -1},
			{"a response is not answered", func() []byte {
				b, _ := (&stun.Message{Dialect: d, Type: stun.BindingSuccess, TransactionID: stun.NewTransactionID()}).Encode()
				return b
			}(), false, KANotRequest, -1},
		} {
			r := CheckKeepalive(c.msg, src, time.Minute, lookup, true)
			if r.OK != c.ok || r.Reason != c.reason || r.Code != c.code {
				t.Errorf("%v: %s: got ok=%v reason=%q code=%d; want %v %q %d", d, c.name, r.OK, r.Reason, r.Code, c.ok, c.reason, c.code)
			}
		}
	}
	if r := CheckKeepalive(ka(stun.Classic, "", ""), src, 0, lookup, false); !r.OK {
		t.Errorf("FreeACS mode (integrity not required): unauthenticated keepalive refused: %s", r.Reason)
	}
}

func TestKeepaliveReplayAndRetransmission(t *testing.T) {
	cred := &Credential{Device: "stb1", Password: "pw", Min: 20 * time.Second}
	lookup := func(u string) (*Credential, bool) { return cred, u == "stb1" }
	b := ka(stun.Classic, "stb1", "pw")
	r := CheckKeepalive(b, src, 10*time.Second, lookup, true)
	if !r.OK {
		t.Fatalf("first: %s", r.Reason)
	}
	cred.Accept(r, src, 10*time.Second)
	if r := CheckKeepalive(b, src, 11*time.Second, lookup, true); r.OK || r.Reason != KARetransmitted || r.Code != 0 {
		t.Errorf("RFC 3489 §9.3 retransmission from the same source: got %+v; want answered, not counted", r)
	}
	other := netip.MustParseAddrPort("203.0.113.9:5000")
	if r := CheckKeepalive(b, other, 12*time.Second, lookup, true); r.OK || r.Reason != KAReplayed || r.Code != -1 {
		t.Errorf("a replayed keepalive from another source must not move the binding: got ok=%v %q", r.OK, r.Reason)
	}
	if r := CheckKeepalive(ka(stun.Classic, "stb1", "pw"), src, 15*time.Second, lookup, true); !r.OK || !r.TooFrequent {
		t.Errorf("TR-069 Annex G: sooner than STUNMinimumKeepAlivePeriod without BINDING-CHANGE is flagged: %+v", r)
	}
	change := ka(stun.Classic, "stb1", "pw", func(m *stun.Message) { m.Add(stun.AttrBindingChange, nil) })
	if r := CheckKeepalive(change, src, 15*time.Second, lookup, true); !r.OK || r.TooFrequent || !r.BindingChange {
		t.Errorf("BINDING-CHANGE is exempt from the minimum period: %+v", r)
	}
}

func TestTracker(t *testing.T) {
	tr := &Tracker{Missed: 3}
	p := 10 * time.Second
	if tn, ok := tr.Seen("a", 1*time.Second, p); !ok || !tn.Online {
		t.Fatal("seed 000: online on the first valid keepalive")
	}
	if _, ok := tr.Seen("a", 11*time.Second, p); ok {
		t.Error("a second keepalive is no transition")
	}
	if got := tr.Expire(40 * time.Second); len(got) != 0 {
		t.Errorf("offline before 3 missed periods: %+v", got)
	}
	got := tr.Expire(42 * time.Second)
	if len(got) != 1 || got[0].Online || got[0].Silence != 31*time.Second {
		t.Fatalf("seed 000: offline after 3 missed periods: %+v", got)
	}
	if tr.Online("a") || tr.Count() != 0 {
		t.Error("still online")
	}
	if got := tr.Expire(100 * time.Second); len(got) != 0 {
		t.Errorf("offline reported twice: %+v", got)
	}
	if _, ok := tr.Seen("a", 101*time.Second, p); !ok {
		t.Error("back online is a transition")
	}
}

func FuzzCheckKeepalive(f *testing.F) {
	f.Add(ka(stun.Classic, "stb1", "pw"))
	f.Add(ka(stun.RFC5389, "stb1", "pw"))
	f.Add(ka(stun.Classic, "stb1", ""))
	f.Fuzz(func(t *testing.T, b []byte) {
		cred := &Credential{Device: "stb1", Password: "pw"}
		r := CheckKeepalive(b, src, time.Second, func(u string) (*Credential, bool) { return cred, u == "stb1" }, true)
		if r.OK && (r.Device != "stb1" || stun.CheckIntegrity(b, "pw") != nil) {
			t.Fatalf("accepted without valid integrity: %+v", r)
		}
	})
}
