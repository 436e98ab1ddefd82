package stb_test

import (
	. "github.com/onsi/ginkgo/v2"
)

// A box on a public address (a server node: no NAT) gets TCP connection
// requests at its ConnectionRequestURL (TR-069 §3.2.2).
var _ = Describe("stb TCP connection-request listener (no NAT)", func() {
	It("TR-069 §3.2.2: Digest-authenticated GETs accepted, requests closer than the rate limit answered 503, and the ACS's retries still deliver", func() {
		expectPass(runText("tcp-cr.yaml", `
name: tcp-cr
speed: 4
duration: 60s
topology:
  servers:
    - name: acs
      role: acs
      options:
        period: 10s
        auth: digest
        retry: 4s
        commands: {every: 5s, start: 8s, kind: get}
    - {name: pub, role: stb, options: {acs: acs, rate_limit: 8s}}
assertions:
  - {name: every request challenged first, expect: "count(stb.tcp_cr_challenged) >= count(stb.tcp_cr_accepted)"}
  - {name: requests accepted over TCP, expect: "count(stb.tcp_cr_accepted) >= 3"}
  - {name: requests within the rate limit answered 503, expect: "count(stb.tcp_cr_throttled) >= 1"}
  - {name: the ACS saw each 503, expect: "count(acs.tcp_cr_refused) == count(stb.tcp_cr_throttled)"}
  - {name: no UDP connection request to a box without NAT, expect: "count(stb.cr_accepted) == 0"}
  - {name: commands done, expect: "count(acs.command_done) >= 5"}
  - {name: no credential refused, expect: "count(stb.tcp_cr_rejected) + count(acs.auth_fail) == 0"}
`))
	})

	It("TR-069 §3.2.2: with cr_auth basic the ACS answers the box's Basic challenge; with none (as genieacs-sim) it needs no credentials", func() {
		expectPass(runText("tcp-cr-basic.yaml", `
name: tcp-cr-basic
speed: 4
duration: 40s
topology:
  servers:
    - name: acs
      role: acs
      options:
        period: 10s
        commands: {every: 5s, start: 8s, kind: get}
    - {name: basic, role: stb, options: {acs: acs, cr_auth: basic}}
    - {name: open, role: stb, options: {acs: acs, cr_auth: none}}
assertions:
  - {name: both boxes reached over TCP, expect: "count(acs.tcp_cr_answered) >= 6"}
  - {name: only the Basic box challenged, expect: "count(stb.tcp_cr_challenged) >= 3"}
  - {name: nothing refused, expect: "count(acs.tcp_cr_refused) + count(stb.tcp_cr_rejected) == 0"}
  - {name: commands done, expect: "count(acs.command_done) >= 6"}
`))
	})
})
