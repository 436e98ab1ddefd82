package trigger

import "testing"

func TestOptionsCheck(t *testing.T) {
	ok := Options{Platform: "plat", Port: 5080, Refresh: 1e9, Cameras: []Camera{{Addr: "192.168.1.100", Type: "sip"}, {Addr: "192.168.1.101", Type: "rtsp", Port: 8554}}}
	if errs := ok.Check(nil); len(errs) != 0 {
		t.Fatalf("refused: %v", errs)
	}
	cams, _ := ok.reported()
	if cams[0].Addr.Port() != 5060 || cams[1].Addr.Port() != 8554 {
		t.Fatalf("the type fixes the port unless overridden: %v", cams)
	}
	for _, c := range []Camera{{Addr: "cam", Type: "sip"}, {Addr: "192.168.1.100", Type: "onvif"}, {Addr: "::1", Type: "sip"}, {Addr: "192.168.1.100", Type: "sip", Port: 70000}} {
		o := ok
		o.Cameras = []Camera{c}
		if errs := o.Check(nil); len(errs) != 1 || errs[0].Field != "cameras" {
			t.Errorf("camera %+v: got %v", c, errs)
		}
	}
	if errs := (&Options{Port: 5080, Refresh: 1e9}).Check(nil); len(errs) != 2 {
		t.Errorf("missing platform and cameras: got %v", errs)
	}
}
