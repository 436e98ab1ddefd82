// Package acs_test is the end-to-end conformance suite of the management
// server side of seed 000 (TR-069 Annex G / TR-111 part 2): boxlab's `acs`
// role runs in a server namespace and is exercised through real NAT
// gateways with real UDP and HTTP: the CWMP session, NAT detection at boot, keepalive
// challenges and validation in both STUN dialects, the public binding,
// connection requests from the STUN port, bad input, HTTP authentication of
// the CWMP URL with curl as the client (auth_test.go: Digest and Basic, a
// wrong password refused, counted and recorded nowhere); and the shipped
// keepalive scenarios pass through the runner. Needs root.
//
// The specs play the CPE with the devices/acs/cwmp codec: real CWMP
// sessions (Inform, InformResponse, empty POST, SetParameterValues with the
// STUN parameters, GetParameterValues, SOAP faults, 204) over HTTP with a
// session cookie, under both the Device. and InternetGatewayDevice. roots.
//
// Server under test (exec_test.go): a program that runs as an `exec` node on
// the server named acs. Default: boxlab's own acs role run standalone
// (`boxlab device acs --options '{period: 3s, ...}'`, built by the suite).
// A vendor's ACS: set BOXLAB_ACS_UNDER_TEST to its command line, run by
// `sh -c` in the acs namespace with BOXLAB_ADDR (its address) and
// BOXLAB_NODE. It must serve CWMP at http://$BOXLAB_ADDR:7547/ (the ACS URL
// is the root path), TR-111 STUN on UDP 3478 (or the STUNServerAddress/Port
// it hands out), deliver the STUN and connection-request parameters by
// SetParameterValues, and offer the operator contract the suite drives it
// through, on the same port:
//
//	POST /api/commands  {"kind": "get", "param": "Device.DeviceInfo.UpTime", "devices": ["SERIAL"]}
//	                    → 200: queue the command and deliver it by UDP connection request
//	GET  /api/devices   → 200 [{"id": "SERIAL", "online": true, "binding": "ip:port"}, ...]
//
// (boxlab's acs has more fields and kinds: reboot, set, download; see
// devices/acs). The suite's own CPE checks each rule on the wire (Inform and
// SetParameterValues, the 401 challenge, a forged MESSAGE-INTEGRITY, a valid
// keepalive's MAPPED-ADDRESS, a replayed keepalive, a connection request's
// source port and G.2.1.4 signature, bad input, offline after silence) and boxlab's stb role checks every sender variant
// (RFC 3489/5389, CRB without its space, TR-098 root, MI from the first
// request); a per-rule PASS/FAIL table is printed at the end.
//
// HTTPS (tls_test.go, TR-069 §3.4) with curl as the client against
// boxlab's acs with tls: true: the CA the ACS writes to its output folder
// (<node>-ca.pem, acs-ca.pem here) is what curl --cacert trusts; without it
// curl refuses the certificate (exit 60) and the ACS counts the failed
// handshake; with client_cert require only curl --cert <node>-client.pem
// gets a session (Basic over TLS); Basic over plain HTTP is flagged once
// (acs.auth_insecure); keepalive-tls.yaml runs boxlab's STBs over HTTPS.
//
// HTTPS server under test (exec_tls_test.go): BOXLAB_ACS_TLS_UNDER_TEST
// (default boxlab device acs --options '{tls: true, http_port: 7548, ...}')
// must serve CWMP at https://$BOXLAB_ADDR:7548/ with a certificate naming
// $BOXLAB_ADDR (an IP SAN) and write the certificate of the CA that signed
// it to acs-ca.pem in its working directory; boxlab's stb, trusting that
// file (ca_file), must boot and keep alive, and one trusting another CA must
// refuse the certificate every time.
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
var _ = AfterSuite(lab.RemoveBoxlabBinary)

var (
	runFile    = lab.RunFile
	runText    = lab.RunText
	expectPass = lab.ExpectPass
)
