package devices

import "testing"

func TestGroup(t *testing.T) {
	for node, want := range map[string]string{
		"lin3-trigger0": "lin", "prc-map12-cam0": "prc-map", "home0-gw": "home", "plat": "other", "cam-x": "other",
	} {
		if got := Group(node); got != want {
			t.Errorf("Group(%q) = %q, want %q", node, got, want)
		}
	}
}
