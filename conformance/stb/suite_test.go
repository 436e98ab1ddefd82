// Package stb_test is the end-to-end conformance suite of the set-top box
// side of seed 000 (TR-069 Annex G / TR-111 part 2): boxlab plays the
// management server, the STUN entity, the NAT and an on-path attacker, and
// checks each rule of the box under test: connection-request validation
// (G.2.1.4: ts later than last, id different, username, signature, before
// any state change), tolerance of sender variants, rate limit, reboot.
// Needs root.
//
// Device under test: the specs drive boxlab's own `stb` role. A real CPE
// agent runs as an `exec` node; boxlab passes it BOXLAB_SERVER_ACS (the
// ACS address: its ACS URL is http://$BOXLAB_SERVER_ACS:7547/, real CWMP;
// the STUN parameters arrive by SetParameterValues, STUN on 3478),
// BOXLAB_ADDR and BOXLAB_NODE (use it as the DeviceId SerialNumber: the
// ACS names devices by it). Those specs are
// skipped unless BOXLAB_STB_UNDER_TEST names the agent (see exec_test.go).
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

var (
	runFile    = lab.RunFile
	runText    = lab.RunText
	expectPass = lab.ExpectPass
)
