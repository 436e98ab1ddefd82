package camera_test

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/boxlab/boxlab/conformance/lab"
)

// rule is one requirement a scenario asserts; the spec of the same name
// checks it.
type rule struct{ name, expr string }

// check is one camera type's scenario and the rules it checks.
type check struct {
	typ      string
	scenario string // text with CAMERA standing for the camera's command
	rules    []rule
}

// The SIP camera: three homes (linux, port-restricted-cone and symmetric
// NATs, the last two with an 8 s UDP timeout), one camera and one trigger
// each, every camera at 192.168.1.100. The platform writes port 5070 in the
// Via of what it sends from port 5060: only a camera that answers to the
// source port (rport) reaches it. Keepalives every 3 s for 30 s.
var sipCheck = check{typ: "sip", scenario: `
name: camera-sip
speed: 2
duration: 30s
topology:
  servers:
    - {name: plat, role: platform, options: {keepalive: 3s, lost_after: 2, timeout: 2s, retries: 5, via_port: 5070}}
  homes:
    - name: lin
      count: 1
      nat: linux
      devices: &home
        - {name: cam, role: exec, options: {command: CAMERA}}
        - {name: trigger, role: trigger, options: {platform: plat, refresh: 60s, cameras: [{addr: 192.168.1.100, type: sip}]}}
    - {name: prc, count: 1, nat: port-restricted-cone, nat_options: {udp_timeout: 8s}, devices: *home}
    - {name: sym, count: 1, nat: symmetric, nat_options: {udp_timeout: 8s}, devices: *home}
`, rules: []rule{
	{"seed 002 S8, RFC 3581 §4: behind linux the answer to the trigger's OPTIONS goes to its source port, not the Via's, and reaches the platform", "count(platform.connected_lin) == 1"},
	{"seed 002 S8, RFC 3581 §4: the same behind port-restricted-cone", "count(platform.connected_prc) == 1"},
	{"seed 002 S8, RFC 3581 §4: the same behind symmetric", "count(platform.connected_sym) == 1"},
	{"seed 002 S8: the answer crossed the NAT: the platform recorded a public address, never the private one", "count(platform.untranslated) == 0"},
	{"RFC 3581 §4: the answer's Via carries rport=<source port> and received=", "count(platform.rport_missing) == 0"},
	{"RFC 3261 §8.2.6.2: the answer echoes Call-ID and CSeq (it matches the platform's request)", "count(platform.unknown_dialog) + count(platform.bad_sip) == 0"},
	{"seed 002 S9, RFC 3428: the camera answers the platform's MESSAGE", "count(platform.message_ok) == 3"},
	{"seed 002 S10: every keepalive answered behind linux", "count(platform.keepalive_ok_lin) >= 5 after 8s"},
	{"seed 002 S10: keepalives answered past three 8 s NAT timeouts behind port-restricted-cone", "count(platform.keepalive_ok_prc) >= 5 after 8s"},
	{"seed 002 S10: the same behind symmetric", "count(platform.keepalive_ok_sym) >= 5 after 8s"},
	{"seed 002 S10: no camera lost: the mapping stays up", "count(platform.camera_lost) == 0"},
}}

// The RTSP camera: two homes behind a NAT that maps an outbound SYN-ACK
// (full-cone, inbound_syn_ack: map), the platform completes the handshake
// the forged SYN started and pipelines OPTIONS and DESCRIBE.
var rtspCheck = check{typ: "rtsp", scenario: `
name: camera-rtsp
speed: 1
duration: 10s
topology:
  servers:
    - {name: plat, role: platform, options: {timeout: 2s, retries: 3}}
  homes:
    - name: map
      count: 2
      nat: full-cone
      nat_options: {inbound_syn_ack: map}
      devices:
        - {name: cam, role: exec, options: {command: CAMERA}}
        - {name: trigger, role: trigger, options: {platform: plat, refresh: 60s, cameras: [{addr: 192.168.1.100, type: rtsp}]}}
`, rules: []rule{
	{"seed 002 S7 variant, RFC 9293 §3.5: the camera answers the forged SYN and the platform completes the handshake through the NAT", "count(platform.connected) == 2"},
	{"seed 002 S8: the SYN-ACK crossed the NAT translated", "count(platform.tcp_untranslated) == 0"},
	{"RFC 2326 §10.1: OPTIONS is answered 200 with its CSeq", "count(platform.rtsp_ok) == 2"},
	{"RFC 2326 §10.2: DESCRIBE is answered 200 with an SDP description", "count(platform.rtsp_describe_ok) == 2"},
	{"RFC 2326 §7: every answer is an RTSP/1.0 response", "count(platform.bad_rtsp) + count(platform.rtsp_refused) + count(platform.rtsp_describe_failed) == 0"},
}}

// The vendor-SDK-like camera: the same handshake, then a BXSDK/1 login from
// a platform with the camera's credentials (two homes), which keeps the
// session with a keepalive every second, and from one with a wrong password
// (one home).
var sdkCheck = check{typ: "sdk", scenario: `
name: camera-sdk
speed: 1
duration: 8s
topology:
  servers:
    - {name: plat, role: platform, options: {timeout: 2s, retries: 3, keepalive: 1s}}
    - {name: wrong, role: platform, options: {timeout: 2s, retries: 3, sdk_password: not-the-password}}
  homes:
    - name: map
      count: 2
      nat: full-cone
      nat_options: {inbound_syn_ack: map}
      devices:
        - {name: cam, role: exec, options: {command: CAMERA}}
        - {name: trigger, role: trigger, options: {platform: plat, refresh: 60s, cameras: [{addr: 192.168.1.100, type: sdk}]}}
    - name: deny
      count: 1
      nat: full-cone
      nat_options: {inbound_syn_ack: map}
      devices:
        - {name: cam, role: exec, options: {command: CAMERA}}
        - {name: trigger, role: trigger, options: {platform: wrong, refresh: 60s, cameras: [{addr: 192.168.1.100, type: sdk}]}}
`, rules: []rule{
	{"BXSDK/1: a login with the camera's credentials over the completed handshake is answered login ok", "count(platform.sdk_login_ok) == 2"},
	{"BXSDK/1: a login with a wrong password is answered login denied (the platform may try again: never login ok)", "count(platform.sdk_login_denied) >= 1"},
	{"BXSDK/1: keepalives on the session are acknowledged: the connection stays up", "count(platform.sdk_keepalive_ok) >= 2 * 3 after 2s"},
	{"BXSDK/1: no session lost", "count(platform.camera_lost) == 0"},
	{"BXSDK/1: every frame the camera sent is well formed", "count(platform.bad_sdk) == 0"},
	{"seed 002 S8: the SYN-ACK crossed the NAT translated", "count(platform.tcp_untranslated) == 0"},
}}

// scenarioFor is a check's scenario with the camera's command and the rules
// as named assertions.
func scenarioFor(c check, argv []string) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(c.scenario, "CAMERA", yamlList(argv)))
	b.WriteString("assertions:\n")
	for _, r := range c.rules {
		fmt.Fprintf(&b, "  - {name: %q, expect: %q}\n", r.name, r.expr)
	}
	return b.String()
}

var _ = Describe("Camera under test answers a trigger packet the way the platform needs", func() {
	for _, cand := range candidates() {
		for _, c := range []check{sipCheck, rtspCheck, sdkCheck} {
			if !cand.serves(c.typ) {
				continue
			}
			Describe(cand.name+", "+c.typ, Ordered, ContinueOnFailure, func() {
				var o *lab.Outcome
				BeforeAll(func() {
					argv, why := cand.argv()
					if argv == nil {
						Skip(why)
					}
					o = lab.RunOutcome(c.typ, scenarioFor(c, argv))
				})
				for _, r := range c.rules {
					It(r.name, func() { o.Rule(r.name) })
				}
			})
		}
	}
})

// The rport rule must tell cameras apart: boxlab's camera with ignore_rport
// (firmware that answers to the Via's port, RFC 3261 §18.2.2) next to one
// that honours it, the platform writing port 5070 in its Via.
var rportControl = `
name: camera-rport-control
speed: 1
duration: 8s
topology:
  servers:
    - {name: plat, role: platform, options: {timeout: 2s, retries: 2, via_port: 5070}}
  homes:
    - name: honour
      count: 1
      nat: linux
      devices:
        - {name: cam, role: exec, options: {command: HONOUR}}
        - {name: trigger, role: trigger, options: {platform: plat, refresh: 60s, cameras: [{addr: 192.168.1.100, type: sip}]}}
    - name: ignore
      count: 1
      nat: linux
      devices:
        - {name: cam, role: exec, options: {command: IGNORE}}
        - {name: trigger, role: trigger, options: {platform: plat, refresh: 60s, cameras: [{addr: 192.168.1.100, type: sip}]}}
assertions:
  - {name: honoured, expect: "count(platform.connected_honour) == 1"}
  - {name: ignored, expect: "count(platform.connected_ignore) == 0"}
  - {name: ignored camera answered, expect: "count(platform.indication) >= 4"}
`

var _ = Describe("The rules tell a faulty camera apart", Ordered, func() {
	It("RFC 3581 §4: a camera that ignores rport answers to the Via's port and is never reached, while the same camera honouring it is", func() {
		argv, why := boxlabCamera()
		if argv == nil {
			Skip(why)
		}
		ignore := append(append([]string(nil), argv[:len(argv)-1]...), "{ignore_rport: true}")
		src := strings.NewReplacer("HONOUR", yamlList(argv), "IGNORE", yamlList(ignore)).Replace(rportControl)
		o := lab.RunOutcome("rport-control", src)
		o.Rule("honoured")
		o.Rule("ignored")
		o.Rule("ignored camera answered")
	})
})
