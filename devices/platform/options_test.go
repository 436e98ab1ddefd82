package platform

import "testing"

func TestGroupOfTriggerNode(t *testing.T) {
	for node, want := range map[string]string{"lin3-trigger0": "lin", "prc-map12-trigger0": "prc-map", "plat": "other"} {
		if got := group(node); got != want {
			t.Errorf("group(%q) = %q, want %q", node, got, want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	if errs := DefaultOptions().Check(nil); len(errs) != 0 {
		t.Fatalf("defaults refused: %v", errs)
	}
	o := DefaultOptions()
	o.Port, o.TCPPort, o.Users, o.LostAfter = 0, 65000, nil, 0
	if errs := o.Check(nil); len(errs) != 4 {
		t.Fatalf("want 4 errors (port, tcp_port, users, keepalive), got %v", errs)
	}
}
