package stb_test

import (
	. "github.com/onsi/ginkgo/v2"
)

// spec wraps an acs options block and home groups into a 40 s run.
func spec(acsOptions, homes, assertions string) string {
	return `
name: stb-spec
speed: 4
duration: 40s
topology:
  servers:
    - name: acs
      role: acs
      options:
` + acsOptions + `
  homes:
` + homes + `
assertions:
` + assertions
}

var _ = Describe("stb connection-request receiver behind a real NAT", func() {
	It("TR-069 G.2.1.4: forged-signature, wrong-username and replayed requests are refused; a forged large ts changes no state", func() {
		expectPass(runText("attack.yaml", spec(`
        period: 10s
        commands: {every: 6s, start: 8s, kind: get}
        attacker: {every: 5s, start: 9s}`, `
    - {name: box, count: 2, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs}}]}`, `
  - {name: attacks reached the boxes, expect: "count(stb.cr_rejected) > 2 * count(stb.cr_accepted)"}
  - {name: none accepted, expect: "count(stb.forged_accepted) == 0"}
  - {name: genuine requests still accepted after the forgeries, expect: "count(stb.cr_accepted) > 0 after 20s"}
  - {name: every command delivered, expect: "count(acs.undelivered_box) == 0"}
  - {name: commands done, expect: "count(acs.command_done) >= 8"}`)))
	})

	It("TR-069 Annex G sender variants (FreeACS: ms ts, UPPER hex, /?, no Host; 4 copies) are accepted by a G.2.1.4 receiver", func() {
		expectPass(runText("freeacs.yaml", spec(`
        period: 10s
        copies: 4
        sender: {ts_millis: true, upper_hex: true, slash_path: true, no_host: true}
        commands: {every: 6s, start: 8s, kind: get}`, `
    - {name: box, count: 2, nat: linux-random, devices: [{name: stb, role: stb, options: {acs: acs, dialect: rfc5389}}]}`, `
  - {name: delivered, expect: "count(acs.undelivered_box) == 0"}
  - {name: done, expect: "count(acs.command_done) >= 8"}
  - {name: the three extra copies refused, expect: "count(stb.cr_rejected) == 3 * count(stb.cr_accepted)"}`)))
	})

	It("HMAC-SHA256 signatures (non-standard) are refused by a SHA-1 receiver and accepted with accept_sha256", func() {
		expectPass(runText("sha256.yaml", spec(`
        period: 10s
        attempts: 2
        retry: 3s
        ttl: 15s
        sender: {sha256: true}
        commands: {every: 6s, start: 8s, kind: get}`, `
    - {name: strict, count: 1, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs}}]}
    - {name: lenient, count: 1, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs, receiver: {accept_sha256: true}}}]}`, `
  - {name: strict receiver never runs a command, expect: "count(acs.rtt_strict) == 0"}
  - {name: strict receiver's commands fail, expect: "count(acs.undelivered_strict) > 0"}
  - {name: lenient receiver delivers, expect: "count(acs.undelivered_lenient) == 0"}
  - {name: lenient receiver done, expect: "count(acs.rtt_lenient) >= 4"}`)))
	})

	It("a CPE rate limit (Works Systems: 30 s) refuses valid requests that come sooner", func() {
		expectPass(runText("ratelimit.yaml", spec(`
        period: 10s
        attempts: 1
        ttl: 10s
        commands: {every: 8s, start: 8s, kind: get}`, `
    - {name: limited, count: 1, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs, rate_limit: 30s}}]}
    - {name: box, count: 1, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs}}]}`, `
  - {name: rate-limited requests refused, expect: "count(acs.undelivered_limited) > 0"}
  - {name: one request per 30 s passes, expect: "count(acs.rtt_limited) >= 1"}
  - {name: an unlimited box takes them all, expect: "count(acs.undelivered_box) == 0"}`)))
	})

	It("TR-069 Download: the box fetches the firmware over HTTP through the NAT and reports TransferComplete; TR-098 root", func() {
		expectPass(runText("download.yaml", spec(`
        period: 10s
        commands: {every: 10s, start: 8s, kind: download}`, `
    - {name: box, count: 2, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs, root: InternetGatewayDevice.}}]}`, `
  - {name: the file was really transferred, expect: "min(stb.download.bytes) == 262144"}
  - {name: transfers reported, expect: "count(acs.transfer_complete) >= 4"}
  - {name: downloads are commands done, expect: "count(acs.rtt_box) >= 4"}
  - {name: no command lost, expect: "count(acs.undelivered_box) == 0"}`)))
	})

	It("a reboot command really restarts the box: it reports done, boots again, and keeps alive from a new socket", func() {
		expectPass(runText("reboot.yaml", spec(`
        period: 10s
        commands: {every: 10s, start: 8s, kind: reboot}`, `
    - {name: box, count: 2, nat: linux, devices: [{name: stb, role: stb, options: {acs: acs, reboot_time: 2s}}]}`, `
  - {name: the box reboots on command, expect: "count(stb.reboot) >= 4"}
  - {name: and boots again, expect: "count(acs.boot) >= 6"}
  - {name: and is mapped again after each boot, expect: "count(stb.mapped) >= 6"}
  - {name: reboots are commands done (M Reboot in the Inform after the boot), expect: "count(acs.rtt_box) >= 4"}
  - {name: the box keeps its parameters across reboots (one BOOTSTRAP each), expect: "count(acs.params_delivered) == 2"}
  - {name: no command lost, expect: "count(acs.undelivered_box) == 0"}`)))
	})
})
