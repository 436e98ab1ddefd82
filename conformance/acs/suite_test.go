// Package acs_test is the end-to-end conformance suite of the management
// server side of seed 000 (TR-069 Annex G / TR-111 part 2): boxlab's `acs`
// role runs in a server namespace and is exercised through real NAT
// gateways with real UDP and HTTP: NAT detection at boot, keepalive
// challenges and validation in both STUN dialects, the public binding,
// connection requests from the STUN port, bad input; and the shipped
// keepalive scenarios pass through the runner. Needs root.
//
// Server under test: the specs drive boxlab's own acs. An `exec` ACS under
// test would be placed as `role: exec` on the server named acs and must
// serve POST /cwmp/boot, /cwmp/session, /cwmp/result (devices/acs/wire.go)
// on 7547 and STUN on 3478; those specs are skipped until a real ACS binary
// is available (BOXLAB_ACS_UNDER_TEST, see exec_test.go).
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
