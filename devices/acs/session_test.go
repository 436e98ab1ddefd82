package acs

import (
	"net/netip"
	"testing"

	"github.com/boxlab/boxlab/devices/acs/cwmp"
)

func TestReportedLocal(t *testing.T) {
	for _, c := range []struct{ url, udp, want string }{
		{"http://192.168.1.100:7547/", "192.168.1.100:7547", "192.168.1.100:7547"},
		{"http://192.168.1.100:7547/", "198.18.0.9:40000", "192.168.1.100:7547"}, // the UDP address is already the public binding
		{"http://192.168.1.100/cr", "", "192.168.1.100:80"},
		{"not a url", "", "invalid AddrPort"},
	} {
		if got := reportedLocal(c.url, c.udp).String(); got != c.want {
			t.Errorf("%s %s: got %s want %s", c.url, c.udp, got, c.want)
		}
	}
}

func TestCommandRPC(t *testing.T) {
	fw := "http://198.18.0.2:7547/firmware/stb-2.0.bin"
	for _, c := range []struct {
		name string
		job  Job
		root string
		want string
	}{
		{"get follows the device's TR-098 root", Job{Command: Command{ID: "c1", Kind: "get", Param: "Device.DeviceInfo.UpTime"}}, cwmp.RootTR098, "InternetGatewayDevice.DeviceInfo.UpTime"},
		{"root-less name", Job{Command: Command{ID: "c2", Kind: "set", Param: "X_Test.Value", Value: "1"}}, cwmp.RootTR181, "Device.X_Test.Value"},
		{"reboot carries the job id as CommandKey", Job{Command: Command{ID: "c3", Kind: "reboot"}}, cwmp.RootTR181, "c3"},
		{"download defaults to the ACS's firmware", Job{Command: Command{ID: "c4", Kind: "download"}}, cwmp.RootTR181, fw},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got string
			switch m := commandRPC(&c.job, c.root, fw).(type) {
			case *cwmp.GetParameterValues:
				got = m.Names[0]
			case *cwmp.SetParameterValues:
				got = m.Params[0].Name
				if m.ParameterKey != c.job.ID {
					t.Error("ParameterKey is not the job id")
				}
			case *cwmp.Reboot:
				got = m.CommandKey
			case *cwmp.Download:
				got = m.URL
			}
			if got != c.want {
				t.Errorf("got %q want %q", got, c.want)
			}
		})
	}
}

func TestParamsSet(t *testing.T) {
	p := Params{STUNServer: "198.18.0.2", STUNPort: 3478, MinPeriod: 2500e6, MaxPeriod: 0, STUNUsername: "u", Generation: 3}
	s := p.Set(cwmp.RootTR098)
	if s.ParameterKey != "boxlab-stun-3" || len(s.Params) != 9 {
		t.Fatalf("%+v", s)
	}
	if _, err := netip.ParseAddr(s.Params[1].Value.Text); err != nil || s.Params[1].Name != "InternetGatewayDevice.ManagementServer.STUNServerAddress" {
		t.Errorf("STUNServerAddress %+v", s.Params[1])
	}
	if s.Params[5].Value.Text != "3" {
		t.Errorf("a 2.5 s period rounds up to 3 s; got %s", s.Params[5].Value.Text)
	}
}
