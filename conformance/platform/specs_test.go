package platform_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/boxlab/boxlab/conformance/lab"
	. "github.com/onsi/gomega"
)

// underTest is the platform's command line and the camera types it serves,
// or nil and why it cannot run here.
func underTest() ([]string, []string, string) {
	if cmd := os.Getenv("BOXLAB_PLATFORM_UNDER_TEST"); cmd != "" {
		types := []string{"sip"}
		if t := os.Getenv("BOXLAB_PLATFORM_TYPES"); t != "" {
			types = strings.Split(t, ",")
		}
		return []string{"sh", "-c", cmd}, types, ""
	}
	bin, err := filepath.Abs("../../bin/boxlab")
	if err != nil {
		return nil, nil, err.Error()
	}
	if out, err := exec.Command(bin, "device", "--help").CombinedOutput(); err != nil {
		return nil, nil, "no usable " + bin + " with a `device ROLE` command (run `make build`): " + strings.TrimSpace(string(out))
	}
	return []string{bin, "device", "platform", "--options", "{keepalive: 2s, timeout: 2s, retries: 3}"}, []string{"sip", "rtsp", "sdk"}, ""
}

// rule is one requirement the scenario asserts; the spec of the same name
// checks it.
type rule struct{ name, expr string }

// sipHomes are the NAT profile families a SIP camera is reached through;
// every camera is 192.168.1.100, its trigger .101.
var sipHomes = []struct{ group, nat, options string }{
	{"lin", "linux", "{}"},
	{"fc", "linux-fullcone", "{}"},
	{"full", "full-cone", "{udp_timeout: 8s}"},
	{"prc", "port-restricted-cone", "{udp_timeout: 8s}"},
	{"sym", "symmetric", "{udp_timeout: 8s}"},
}

// scenarioFor is the scenario for a platform command serving types, with
// the rules it asserts.
func scenarioFor(argv, types []string) (string, []rule) {
	cmd, _ := json.Marshal(argv)
	var b strings.Builder
	fmt.Fprintf(&b, `name: platform-conformance
speed: 1
duration: 24s
topology:
  servers:
    - {name: platform, role: exec, options: {command: %s}}
  homes:
`, cmd)
	sip := `[{name: cam, role: camera}, {name: trigger, role: trigger, options: {platform: platform, refresh: 60s, %scameras: [{addr: 192.168.1.100, type: sip}]}}]`
	for _, h := range sipHomes {
		fmt.Fprintf(&b, "    - {name: %s, count: 1, nat: %s, nat_options: %s, devices: %s}\n", h.group, h.nat, h.options, fmt.Sprintf(sip, ""))
	}
	fmt.Fprintf(&b, "    - {name: bad, count: 1, nat: linux, devices: %s}\n", fmt.Sprintf(sip, "password: not-the-password, "))
	b.WriteString("    - {name: junk, count: 1, nat: linux, devices: [{name: reg, role: udp-pinger, options: {server: platform, port: 5080, interval: 200ms}}, {name: sip, role: udp-pinger, options: {server: platform, port: 5060, interval: 200ms}}]}\n")
	registered := len(sipHomes)
	rules := []rule{
		{"seed 002 S1/S2: a trigger with the right credentials is registered (OK)", ""},
		{"seed 002 S1: a trigger with a wrong password is refused (DENIED)", "count(trigger.refused_bad) >= 1"},
		{"seed 002 S1: a trigger with a wrong password is never registered", "count(trigger.registered_bad) == 0"},
		{"seed 002 S6: a refused trigger gets no indication and its camera nothing", "count(trigger.forged_bad) + count(camera.sip_bad) == 0"},
		{"seed 002 S1: malformed datagrams on the registrar and the signalling port are never answered as valid (the rest still works)", "count(echo.reply) == 0"},
		{"bad input (precondition of the rule above): the junk senders sent at least 100 datagrams", "count(echo.request) >= 100"},
		{"seed 002 S6: every indication parses (version, ⑤ command, length, ①② camera, ③④ server, PD1) and names a reported camera", "count(trigger.bad_indication) + count(trigger.unknown_camera) == 0"},
		{"seed 002 S6: every SIP camera got an indication (its trigger forged a packet)", fmt.Sprintf("count(trigger.forged_lin) + count(trigger.forged_fc) + count(trigger.forged_full) + count(trigger.forged_prc) + count(trigger.forged_sym) >= %d", len(sipHomes))},
		{"seed 002 S7: PD1 is a SIP request the camera answers", "count(camera.bad_sip) + count(camera.sip_unsupported) == 0"},
	}
	for _, h := range sipHomes {
		rules = append(rules, rule{fmt.Sprintf("seed 002 S5, S8–S10 behind %s: the camera (192.168.1.100 as in every home) keeps getting the platform's requests at its public address", h.nat),
			fmt.Sprintf("count(camera.sip_%s) >= 2 after 12s", h.group)})
	}
	rules = append(rules,
		rule{"seed 002 S10: keepalives hold the port-restricted-cone mapping past the 8 s UDP timeout (requests still arrive 16 s in)", "count(camera.sip_prc) >= 1 after 16s"},
		rule{"seed 002 S10: keepalives hold the symmetric mapping past the 8 s UDP timeout (requests still arrive 16 s in)", "count(camera.sip_sym) >= 1 after 16s"})
	var tcp []string
	if slices.Contains(types, "rtsp") {
		tcp = append(tcp, "{addr: 192.168.1.100, type: rtsp}")
		rules = append(rules, rule{"seed 002 S7 variant (RTSP): the platform completes the handshake of the forged SYN through a NAT that maps the SYN-ACK and speaks RTSP to the camera", "count(camera.rtsp_tcp) >= 1"})
	}
	if slices.Contains(types, "sdk") {
		tcp = append(tcp, fmt.Sprintf("{addr: 192.168.1.%d, type: sdk}", 100+len(tcp)))
		rules = append(rules,
			rule{"seed 002 S7 variant (BXSDK/1): the platform completes the handshake and logs in to the camera's vendor-SDK-like port", "count(camera.sdk_login_tcp) >= 1"},
			rule{"seed 002 S10 (BXSDK/1): the platform keeps the session alive over the connection it completed", "count(camera.sdk_keepalive) >= 2 after 12s"})
	}
	if len(tcp) > 0 {
		fmt.Fprintf(&b, "    - {name: tcp, count: 1, nat: full-cone, nat_options: {inbound_syn_ack: map}, devices: [{name: cam, role: camera, count: %d}, {name: trigger, role: trigger, options: {platform: platform, refresh: 60s, cameras: [%s]}}]}\n",
			len(tcp), strings.Join(tcp, ", "))
		registered++
	}
	rules[0].expr = fmt.Sprintf("count(trigger.registered) == %d", registered)
	b.WriteString("assertions:\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "  - {name: %q, expect: %q}\n", r.name, r.expr)
	}
	return b.String(), rules
}

var _ = Describe("Platform under test, exercised by boxlab's triggers and cameras", Ordered, ContinueOnFailure, func() {
	var o *lab.Outcome
	argv, types, why := underTest()
	BeforeAll(func() {
		if argv == nil {
			Skip(why)
		}
		src, _ := scenarioFor(argv, types)
		o = lab.RunOutcome("platform", src)
	})
	if argv == nil {
		argv, types = []string{"platform"}, []string{"sip", "rtsp", "sdk"} // name the specs that are skipped
	}
	_, rules := scenarioFor(argv, types)
	for _, r := range rules {
		It(r.name, func() { o.Rule(r.name) })
	}
})

// The keepalive rules must tell platforms apart: boxlab's platform with
// keepalives off loses the port-restricted-cone and symmetric cameras once
// their NATs' 8 s UDP timeout passes, and the S10 rules see it.
var _ = Describe("The rules tell a faulty platform apart", Ordered, func() {
	It("seed 002 S10: a platform without keepalives fails the keepalive rules", func() {
		if os.Getenv("BOXLAB_PLATFORM_UNDER_TEST") != "" {
			Skip("the control runs boxlab's own platform with keepalives off, not the platform under test")
		}
		argv, _, why := underTest()
		if argv == nil {
			Skip(why)
		}
		argv[len(argv)-1] = "{keepalive: 0s, timeout: 2s, retries: 3}"
		src, _ := scenarioFor(argv, []string{"sip"})
		o := lab.RunOutcome("platform-no-keepalive", src)
		for _, a := range o.Report.Assertions {
			if strings.HasPrefix(a.Name, "seed 002 S10:") {
				GinkgoWriter.Printf("%-5v %s: measured %s, expected %s\n", a.Pass, a.Name, a.Measured, a.Expected)
				Expect(a.Pass).To(BeFalse(), "%s passed without keepalives: measured %s", a.Name, a.Measured)
			}
		}
		o.Rule("seed 002 S1/S2: a trigger with the right credentials is registered (OK)")
	})
})
