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
		func(o *PeerOptions) { o.TargetPattern = "b-stb0" },
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

func TestHomeIndex(t *testing.T) {
	for node, want := range map[string]int{"b17-stb0": 17, "tolin0-stb0": 0, "prc-map12-stb3": 12} {
		if got, ok := homeIndex(node); !ok || got != want {
			t.Errorf("homeIndex(%q) = %d, %v; want %d", node, got, ok, want)
		}
	}
	if _, ok := homeIndex("rv"); ok {
		t.Error("a server node has no home index")
	}
}
