// Package acs_test is the end-to-end conformance suite of the management
// server side of seed 000 (TR-069 Annex G / TR-111 part 2): boxlab's `acs`
// role runs in a server namespace and is exercised through real NAT
// gateways with real UDP and HTTP: the CWMP session, NAT detection at boot, keepalive
// challenges and validation in both STUN dialects, the public binding,
// connection requests from the STUN port, bad input; and the shipped
// keepalive scenarios pass through the runner. Needs root.
//
// The specs play the CPE with the devices/acs/cwmp codec: real CWMP
// sessions (Inform, InformResponse, empty POST, SetParameterValues with the
// STUN parameters, GetParameterValues, SOAP faults, 204) over HTTP with a
// session cookie, under both the Device. and InternetGatewayDevice. roots.
//
// Server under test: the specs drive boxlab's own acs. An `exec` ACS under
// test would be placed as `role: exec` on the server named acs; it must
// serve CWMP at http://$BOXLAB_ADDR:7547/ (any real ACS: the ACS URL is
// the root path) and TR-111 STUN on 3478, and deliver the STUN parameters
// by SetParameterValues. Those specs are skipped until a real ACS binary is
// available (BOXLAB_ACS_UNDER_TEST, see exec_test.go).
package acs_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
)

func TestACS(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "ACS keepalive conformance (end to end)")
}

var _ = BeforeSuite(lab.RequireRoot)

var (
	runFile    = lab.RunFile
	runText    = lab.RunText
	expectPass = lab.ExpectPass
)
