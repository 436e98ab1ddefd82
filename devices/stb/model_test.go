package stb

import (
	"testing"

	"github.com/boxlab/boxlab/devices/acs/cwmp"
)

func TestModelSetValues(t *testing.T) {
	for _, root := range []string{cwmp.RootTR181, cwmp.RootTR098} {
		ms := root + "ManagementServer."
		for _, c := range []struct {
			name  string
			set   []cwmp.ParameterValue
			fault int   // 0: applied
			each  []int // SetParameterValuesFault codes
		}{
			{"TR-069 Annex G: the ACS sets the STUN parameters", []cwmp.ParameterValue{
				cwmp.Param(ms+"STUNEnable", "boolean", "true"), cwmp.Param(ms+"STUNServerPort", "unsignedInt", "3478"),
				cwmp.Param(ms+"STUNMaximumKeepAlivePeriod", "int", "-1")}, 0, nil},
			{"a vendor X_ parameter is created", []cwmp.ParameterValue{cwmp.Param(root+"X_Test.Value", "string", "1")}, 0, nil},
			{"9005: unknown name", []cwmp.ParameterValue{cwmp.Param(root+"Nope.Value", "string", "1")}, 9003, []int{9005}},
			{"9005: other data-model root", []cwmp.ParameterValue{cwmp.Param("Other.X_Test", "string", "1")}, 9003, []int{9005}},
			{"9008: read-only", []cwmp.ParameterValue{cwmp.Param(ms+"NATDetected", "boolean", "1")}, 9003, []int{9008}},
			{"9007: not an unsignedInt, all or nothing", []cwmp.ParameterValue{
				cwmp.Param(ms+"STUNEnable", "boolean", "true"), cwmp.Param(ms+"STUNServerPort", "unsignedInt", "-5")}, 9003, []int{9007}},
		} {
			t.Run(root+" "+c.name, func(t *testing.T) {
				m := newModel(root, map[string]string{"ManagementServer.STUNEnable": "false"})
				f := m.setValues(c.set, "k1")
				if c.fault == 0 {
					if f != nil {
						t.Fatalf("fault %v", f)
					}
					if m.get("ManagementServer.ParameterKey") != "k1" {
						t.Error("ParameterKey not stored")
					}
					return
				}
				if f == nil || f.Code != c.fault || len(f.ParamFail) != len(c.each) || f.ParamFail[0].FaultCode != c.each[0] {
					t.Fatalf("got %+v; want %d %v", f, c.fault, c.each)
				}
				if m.get("ManagementServer.STUNEnable") != "false" || m.get("ManagementServer.ParameterKey") != "" {
					t.Error("a refused SetParameterValues changed state")
				}
			})
		}
	}
}

func TestModelGetValues(t *testing.T) {
	m := newModel(cwmp.RootTR181, map[string]string{"ManagementServer.STUNPassword": "secret", "DeviceInfo.UpTime": "5"})
	ps, f := m.getValues([]string{"Device.DeviceInfo.UpTime", "Device.ManagementServer."})
	if f != nil || ps[0].Value.Text != "5" || ps[0].Value.Type != "unsignedInt" {
		t.Fatalf("%+v %v", ps, f)
	}
	for _, p := range ps {
		if p.Name == "Device.ManagementServer.STUNPassword" && p.Value.Text != "" {
			t.Error("TR-069: a hidden parameter reads as empty")
		}
	}
	if _, f := m.getValues([]string{"Device.Nope"}); f == nil || f.Code != cwmp.FaultInvalidName {
		t.Errorf("unknown name: %v; want 9005", f)
	}
}
