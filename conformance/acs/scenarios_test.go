package acs_test

import (
	. "github.com/onsi/ginkgo/v2"
)

var _ = Describe("shipped keepalive scenarios through the runner", func() {
	DescribeTable("pass",
		func(file string) { expectPass(runFile(file)) },
		Entry("seed 000: online ratio, time to online, command round trip per NAT profile, offline within 3 periods (keepalive.yaml)", "../../scenarios/keepalive.yaml"),
		Entry("seed 000: a period longer than the NAT UDP timeout loses connection requests, and it shows (keepalive-timeout.yaml)", "../../scenarios/keepalive-timeout.yaml"),
		Entry("seed 000: recovery after wan-change and gateway-reboot; forged and replayed keepalives and requests refused (keepalive-faults.yaml)", "../../scenarios/keepalive-faults.yaml"),
		Entry("TR-069 §3.4: CWMP over HTTPS with the run's CA, client certificates and Basic; a box with a foreign CA refuses the server, never online, counted (keepalive-tls.yaml)", "../../scenarios/keepalive-tls.yaml"),
		Entry("TR-069 §3.4.4, §3.2.2: Digest on the CWMP URL, a wrong password never online and counted, TCP connection requests with Digest, forged ones refused (keepalive-auth.yaml)", "../../scenarios/keepalive-auth.yaml"),
	)
})
