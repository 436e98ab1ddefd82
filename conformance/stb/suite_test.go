// Package stb_test is the end-to-end conformance suite of the set-top box
// side of seed 000 (TR-069 Annex G / TR-111 part 2): boxlab plays the
// management server, the STUN entity, the NAT and an on-path attacker, and
// checks each rule of the box under test: connection-request validation
// (G.2.1.4: ts later than last, id different, username, signature, before
// any state change), tolerance of sender variants, rate limit, reboot, and
// TCP connection requests to a box without NAT (TR-069 §3.2.2: Digest or
// Basic, 503 within the rate limit; tcpcr_test.go).
// Needs root.
//
// Device under test (exec_test.go): a program that runs as an `exec` node
// in home dut0's device namespace (dut0-stb0), behind a linux-fullcone NAT,
// while boxlab plays the ACS (its acs role, STUN on 3478, CWMP and the
// operator API on 7547, periods 3 s / 6 s) and the NAT. Default:
// boxlab's own stb role run standalone (`boxlab device stb --options
// '{acs: acs}'`, built by the suite). A vendor's CPE agent: set
// BOXLAB_STB_UNDER_TEST to its command line, run by `sh -c` in the node's
// namespace with BOXLAB_NODE (use it as DeviceId SerialNumber: the ACS names
// devices by it), BOXLAB_ADDR, BOXLAB_PUBLIC, BOXLAB_SPEED (1) and
// BOXLAB_SERVER_ACS (its ACS URL is http://$BOXLAB_SERVER_ACS:7547/, real
// CWMP; the STUN parameters arrive by SetParameterValues; STUN on 3478;
// UDP connection requests on the port it reports). Each spec is one rule,
// judged only by what the ACS saw on the wire (its Informs, keepalives,
// sessions) and the suite's own signed connection requests (valid, replayed,
// old ts, repeated id, forged signature, wrong username), a Download, a
// Reboot and a WAN address change (BINDING-CHANGE); a per-rule
// PASS/FAIL table is printed at the end (junit: one test case per rule).
//
// HTTPS (tls_test.go, TR-069 §3.4): boxlab's ACS serves CWMP over TLS on
// 7548 with a certificate from its own CA for its address (IP SAN), asking
// for, not requiring, a client certificate. The CPE under test runs with
// BOXLAB_ACS_CA, the path of that CA's certificate (PEM; in a scenario run
// the same file is <output folder>/acs-ca.pem, the exec program's working
// directory): first with a foreign CA in that variable, when it must abort
// every handshake and no Inform may get through, then with the ACS's, when
// it must boot at https://$BOXLAB_SERVER_ACS:7548/ and come online. Its
// command line is BOXLAB_STB_TLS_UNDER_TEST (default: boxlab device stb
// --options "{acs: acs, acs_port: 7548, acs_scheme: https, ca_file:
// $BOXLAB_ACS_CA}").
package stb_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
)

func TestSTB(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "STB keepalive conformance (end to end)")
}

var _ = BeforeSuite(lab.RequireRoot)
var _ = AfterSuite(lab.RemoveBoxlabBinary)

var (
	runFile    = lab.RunFile
	runText    = lab.RunText
	expectPass = lab.ExpectPass
)
