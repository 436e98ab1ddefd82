package stb

import "testing"

func TestPeerOptionsCheck(t *testing.T) {
	o := DefaultPeerOptions()
	o.Server = "rv"
	if errs := o.Check(nil); len(errs) != 0 {
		t.Fatalf("defaults with a server refused: %v", errs)
	}
	for _, bad := range []func(o *PeerOptions){
		func(o *PeerOptions) { o.Server = "" },
		func(o *PeerOptions) { o.Port = 0 },
		func(o *PeerOptions) { o.Password, o.PasswordSeed = "", "" },
		func(o *PeerOptions) { o.DeadAfter = o.Interval },
		func(o *PeerOptions) { o.PunchTimeout = o.PunchInterval },
		func(o *PeerOptions) { o.Retry = 0 },
	} {
		o := DefaultPeerOptions()
		o.Server = "rv"
		bad(o)
		if errs := o.Check(nil); len(errs) != 1 {
			t.Errorf("%+v: want one error, got %v", o, errs)
		}
	}
}

func TestSessionSlots(t *testing.T) {
	a := &session{peerID: "x", caller: true}
	b := &session{peerID: "x"}
	if a.slot() == b.slot() {
		t.Fatal("two boxes calling each other must hold two sessions")
	}
}
