package reports

import "testing"

// TestCanPunchMatchesTheMeasuredMatrix checks the oracle against the 49
// cells scenarios/peer-matrix.yaml asserts (measured through real NATs):
// the 12 pairs listed fail, every other pair connects.
func TestCanPunchMatchesTheMeasuredMatrix(t *testing.T) {
	profiles := map[string]string{"full": "full-cone", "rc": "restricted-cone", "prc": "port-restricted-cone", "sym": "symmetric",
		"lin": "linux", "lfc": "linux-fullcone", "lrnd": "linux-random"}
	fails := map[[2]string]bool{}
	for _, p := range [][2]string{{"prc", "sym"}, {"prc", "lrnd"}, {"sym", "prc"}, {"sym", "sym"}, {"sym", "lin"}, {"sym", "lrnd"},
		{"lin", "sym"}, {"lin", "lrnd"}, {"lrnd", "prc"}, {"lrnd", "sym"}, {"lrnd", "lin"}, {"lrnd", "lrnd"}} {
		fails[p] = true
	}
	for c, cp := range profiles {
		for t2, tp := range profiles {
			punch, known := CanPunch(cp, tp)
			if !known {
				t.Fatalf("%s × %s: unknown", cp, tp)
			}
			if punch == fails[[2]string{c, t2}] {
				t.Errorf("%s -> %s: oracle says punch=%v, the matrix measured the opposite", cp, tp, punch)
			}
		}
	}
	if _, known := CanPunch("external", "linux"); known {
		t.Error("an external NAT's behaviour cannot be known from its name")
	}
}

func TestCanPunchAddressDependentMappings(t *testing.T) {
	old := profileBehaviours
	t.Cleanup(func() { profileBehaviours = old })
	profileBehaviours = map[string]natBehaviour{
		"adm-eif":  {addressDependent, endpointIndependent},
		"adm-adf":  {addressDependent, addressDependent},
		"eim-adf":  {endpointIndependent, addressDependent},
		"eim-apdf": {endpointIndependent, addressPortDependent},
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"adm-adf", "adm-adf", false},  // each punches to a mapping the other never used towards it
		{"adm-eif", "adm-adf", true},   // the EIF side lets the first packet in and learns the real endpoint
		{"adm-adf", "eim-adf", true},   // the EIM side's filter trusts the whole address
		{"adm-adf", "eim-apdf", false}, // the ADM side's packet comes from a port the APDF side never saw
	} {
		if got, _ := CanPunch(tc.a, tc.b); got != tc.want {
			t.Errorf("%s × %s: %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got, _ := CanPunch(tc.b, tc.a); got != tc.want {
			t.Errorf("%s × %s: %v, want %v (the oracle is symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}
