package acs_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/devices/stb"
	"github.com/boxlab/boxlab/nat/stun"
	"github.com/boxlab/boxlab/sim/topology"
)

// The server under test runs as an exec program on the server named acs.
// The suite's own CPE (home box0: the cwmp codec, crafted STUN) checks
// each rule on the wire; boxlab's stb role, started by hand in the v homes,
// checks that the server tolerates each sender variant. All homes are behind
// linux NATs (address-and-port-dependent filtering: a connection request
// only gets in from the STUN port the keepalives went to).
const sutTopology = `
name: acs-exec
duration: 10m
topology:
  servers: [{name: acs, role: acs}]
  homes:
    - {name: box, count: 1, nat: linux, devices: [{name: cpe, role: udp-echo}]}
    - {name: v, count: 5, nat: linux, devices: [{name: stb, role: udp-echo}]}
`

// sutOptions are boxlab's own acs options when it is the server under test:
// short periods so the rules are seen within seconds.
const sutOptions = "{period: 3s, max_period: 6s, retry: 2s, attempts: 5, ttl: 30s}"

// underTest is the server's command line: BOXLAB_ACS_UNDER_TEST (run by sh
// -c in the acs namespace) or boxlab's own acs role run standalone.
func underTest() ([]string, bool) {
	return lab.UnderTest("BOXLAB_ACS_UNDER_TEST", func() []string { return []string{lab.BoxlabBinary(), "device", "acs", "--options", sutOptions} })
}

// variants are the stb sender variants the server must tolerate, one home each.
var variants = []struct {
	name string
	set  func(o *stb.KeepaliveOptions)
}{
	{"RFC 3489 classic (16-byte transaction id, 64-byte padded MESSAGE-INTEGRITY), TR-181 root", func(*stb.KeepaliveOptions) {}},
	{"RFC 5389 (magic cookie, XOR-MAPPED-ADDRESS expected back)", func(o *stb.KeepaliveOptions) { o.Dialect = "rfc5389" }},
	{"CONNECTION-REQUEST-BINDING without its trailing space", func(o *stb.KeepaliveOptions) { o.CRBSpace = false }},
	{"TR-098 InternetGatewayDevice. root", func(o *stb.KeepaliveOptions) { o.Root = cwmp.RootTR098 }},
	{"MESSAGE-INTEGRITY from the first keepalive (no 401 round)", func(o *stb.KeepaliveOptions) { o.Integrity = "always" }},
}

func devicesOf(c *http.Client, base string) []acs.DeviceView {
	resp, err := c.Get(base + "/api/devices")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var vs []acs.DeviceView
	json.NewDecoder(resp.Body).Decode(&vs)
	return vs
}

func viewOf(c *http.Client, base, id string) acs.DeviceView {
	for _, v := range devicesOf(c, base) {
		if v.ID == id {
			return v
		}
	}
	return acs.DeviceView{}
}

var _ = Describe("exec ACS under test (TR-069 Annex G / TR-111 Part 2)", Ordered, ContinueOnFailure, func() {
	report := &lab.RuleReport{}
	const serial = "suite-cpe" // the suite's own CPE
	var (
		topo    *topology.Topology
		sut     *lab.Started
		command []string
		base    string
		stunAt  netip.AddrPort
		client  *http.Client
		conn    *net.UDPConn // the suite CPE's connection-request port (7547)
		local   netip.AddrPort
		params  map[string]string
		key     string
	)
	BeforeAll(func() {
		var vendor bool
		command, vendor = underTest()
		topo = lab.Build(sutTopology)
		addr := lab.Addr(topo, "acs")
		base = "http://" + netip.AddrPortFrom(addr, 7547).String()
		stunAt = netip.AddrPortFrom(addr, 3478)
		client = httpFrom(topo, "box0-cpe0")
		conn = lab.Listen(topo, "box0-cpe0", 7547)
		local = netip.AddrPortFrom(lab.Addr(topo, "box0-cpe0"), 7547)
		GinkgoWriter.Printf("ACS under test (%s): %q\n", map[bool]string{true: "BOXLAB_ACS_UNDER_TEST", false: "boxlab device acs"}[vendor], command)
		sut = lab.StartProgram(topo, "acs", command, 1)
		report.Title = fmt.Sprintf("ACS under test %q (its output, removed after the run, was %s/acs.stdout; its last lines are printed under each failed rule), per rule:", command, sut.Env.OutDir)
	})
	ReportAfterEach(func(r SpecReport) {
		if r.Failed() {
			lab.PrintTail(filepath.Join(sut.Env.OutDir, "acs.stdout"), 15)
		}
		report.Add(r)
	})

	report.Rule("TR-069 §3.7: an Inform (0 BOOTSTRAP, 1 BOOT) gets an InformResponse echoing cwmp:ID, then the STUN parameters by SetParameterValues (STUNEnable, STUNServerPort, STUNUsername/Password, ConnectionRequestUsername/Password, a minimum period), then 204", func() {
		p := newCPE(topo, "box0-cpe0", base+"/")
		p.session(inform(serial, cwmp.RootTR181, local, cwmp.EventBootstrap, cwmp.EventBoot), func(m cwmp.Message) cwmp.Message {
			spv, ok := m.(*cwmp.SetParameterValues)
			Expect(ok).To(BeTrue(), "got %s", m.Method())
			params, key = stunParams(spv, cwmp.RootTR181), spv.ParameterKey
			return &cwmp.SetParameterValuesResponse{}
		})
		Expect(params).To(HaveKeyWithValue("STUNEnable", "true"))
		Expect(params).To(HaveKey("STUNServerPort"))
		Expect(params["STUNUsername"]).NotTo(BeEmpty())
		Expect(params["STUNPassword"]).NotTo(BeEmpty())
		Expect(params["ConnectionRequestUsername"]).NotTo(BeEmpty())
		Expect(params["ConnectionRequestPassword"]).NotTo(BeEmpty())
		Expect(params["STUNMinimumKeepAlivePeriod"]).NotTo(BeElementOf("", "0"))
		if a := params["STUNServerAddress"]; a != "" {
			stunAt = netip.AddrPortFrom(netip.MustParseAddr(a), stunAt.Port())
		}
	})

	report.Rule("RFC 3489 §9.2 / TR-111: a keepalive without USERNAME and MESSAGE-INTEGRITY gets a 401 challenge", func() {
		m := exchange(conn, stunAt, keepalive(stun.Classic, "", "", stun.CRBValue))
		code, _, err := m.ErrorCode()
		Expect(err).NotTo(HaveOccurred(), "a Binding Error Response with ERROR-CODE")
		Expect(code).To(Equal(401))
	})

	report.Rule("TR-111: a forged keepalive (the device's USERNAME, MESSAGE-INTEGRITY under a wrong password) is not answered as a success and brings nothing online", func() {
		b := keepalive(stun.Classic, params["STUNUsername"], "guessed-password", stun.CRBValue)
		buf := make([]byte, 1500)
		var answers []string
		for range 3 {
			conn.WriteToUDPAddrPort(b, stunAt)
			conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			n, _, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				continue // silence is a refusal too
			}
			m, err := stun.Parse(buf[:n])
			Expect(err).NotTo(HaveOccurred())
			code, _, _ := m.ErrorCode()
			answers = append(answers, fmt.Sprintf("%v %d", m.Type, code))
			Expect(m.Type).NotTo(Equal(stun.BindingSuccess), "a success answer to a bad MESSAGE-INTEGRITY")
		}
		GinkgoWriter.Printf("answers to the forged keepalive: %v\n", answers)
		Expect(viewOf(client, base, serial).Online).To(BeFalse())
	})

	report.Rule("TR-111: a valid keepalive (USERNAME, 64-byte padded MESSAGE-INTEGRITY, CONNECTION-REQUEST-BINDING) gets a success with MAPPED-ADDRESS = the NAT's public binding; the operator API shows the device online at that binding", func() {
		m := exchange(conn, stunAt, keepalive(stun.Classic, params["STUNUsername"], params["STUNPassword"], stun.CRBValue))
		Expect(m.Type).To(Equal(stun.BindingSuccess))
		mapped, err := m.MappedAddress()
		Expect(err).NotTo(HaveOccurred())
		Expect(mapped.Addr()).To(Equal(topo.PublicAddr("box0-cpe0")))
		Eventually(func() acs.DeviceView { return viewOf(client, base, serial) }, 5*time.Second, 100*time.Millisecond).Should(
			And(HaveField("Online", BeTrue()), HaveField("Binding", Equal(mapped.String()))), "GET /api/devices")
	})

	report.Rule("TR-069 Annex G: a command queued through the operator API (POST /api/commands) brings a UDP connection request from the STUN port to the binding, signed per G.2.1.4, and the CPE's 6 CONNECTION REQUEST session gets the RPC", func() {
		Expect(postJSON(client, base+"/api/commands", acs.QueueRequest{Kind: "get", Param: "Device.DeviceInfo.UpTime", Devices: []string{serial}}, nil)).To(Equal(200))
		rx := &annexg.Receiver{Username: params["ConnectionRequestUsername"], Password: params["ConnectionRequestPassword"]}
		buf := make([]byte, 2048)
		var first annexg.Verdict
		copies := 0
		deadline := time.Now().Add(15 * time.Second)
		for !first.OK && time.Now().Before(deadline) {
			conn.SetReadDeadline(deadline)
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				break
			}
			if !strings.HasPrefix(string(buf[:n]), "GET ") {
				continue // a late STUN answer
			}
			copies++
			Expect(netip.AddrPortFrom(from.Addr().Unmap(), from.Port())).To(Equal(stunAt), "sent from the STUN port, so a port-restricted NAT lets it in")
			first = rx.Check(buf[:n], 0)
			Expect(first.Reason).NotTo(Equal(annexg.ReasonSignature), "signature: HMAC-SHA1(ConnectionRequestPassword, ts+id+un+cn)")
			Expect(first.Reason).NotTo(Equal(annexg.ReasonUsername))
			Expect(first.Reason).NotTo(Equal(annexg.ReasonMalformed), "GET http://host:port?ts=&id=&un=&cn=&sig= HTTP/1.1: %q", buf[:n])
		}
		Expect(first.OK).To(BeTrue(), "no valid connection request within 15 s (%d datagrams)", copies)
		GinkgoWriter.Printf("connection request: ts=%s id=%s un=%s\n", first.CR.TS, first.CR.ID, first.CR.Un)

		p := newCPE(topo, "box0-cpe0", base+"/")
		in := inform(serial, cwmp.RootTR181, local, cwmp.EventConnectionRequest)
		in.Params[2].Value.Text = key
		p.session(in, func(m cwmp.Message) cwmp.Message {
			g, ok := m.(*cwmp.GetParameterValues)
			Expect(ok).To(BeTrue(), "got %s", m.Method())
			Expect(g.Names).To(Equal([]string{"Device.DeviceInfo.UpTime"}))
			return &cwmp.GetParameterValuesResponse{Params: []cwmp.ParameterValue{cwmp.Param(g.Names[0], "unsignedInt", "7")}}
		})
		Expect(p.seen).To(Equal([]string{"GetParameterValues"}))
	})

	report.Rule("TR-111 keepalive replay: the device's genuine keepalive replayed from another address is not answered as a success and does not move its binding", func() {
		drain(conn) // the connection request's extra copies
		good := keepalive(stun.Classic, params["STUNUsername"], params["STUNPassword"], stun.CRBValue)
		Expect(exchange(conn, stunAt, good).Type).To(Equal(stun.BindingSuccess))
		before := viewOf(client, base, serial).Binding
		other := lab.Listen(topo, "box0-cpe0", 7600) // another port: the NAT maps it elsewhere
		buf := make([]byte, 1500)
		for range 3 {
			other.WriteToUDPAddrPort(good, stunAt)
			other.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if n, _, err := other.ReadFromUDPAddrPort(buf); err == nil {
				m, err := stun.Parse(buf[:n])
				Expect(err == nil && m.Type == stun.BindingSuccess).To(BeFalse(), "the replay was answered with a success")
			}
		}
		Expect(viewOf(client, base, serial).Binding).To(Equal(before), "the replay moved the binding")
	})

	report.Rule("bad input: garbage and truncated STUN get no success answer; a malformed CWMP body gets a 4xx", func() {
		drain(conn)
		good := keepalive(stun.Classic, params["STUNUsername"], params["STUNPassword"], stun.CRBValue)
		for _, b := range [][]byte{[]byte("garbage"), good[:25]} {
			conn.WriteToUDPAddrPort(b, stunAt)
			conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			buf := make([]byte, 1500)
			n, _, err := conn.ReadFromUDPAddrPort(buf)
			if err == nil {
				m, perr := stun.Parse(buf[:n])
				Expect(perr != nil || m.Type != stun.BindingSuccess).To(BeTrue(), "a success answer to %q", b)
			}
		}
		resp, err := client.Post(base+"/", "text/xml", strings.NewReader("garbage"))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(BeNumerically(">=", 400))
		Expect(resp.StatusCode).To(BeNumerically("<", 500))
	})

	report.Rule("online state: a device whose keepalives stop is shown offline within a few keepalive periods (here 5 × STUNMinimumKeepAlivePeriod)", func() {
		secs, err := time.ParseDuration(params["STUNMinimumKeepAlivePeriod"] + "s")
		Expect(err).NotTo(HaveOccurred())
		// The suite's CPE sent its last keepalive in the rules above.
		Eventually(func() bool { return viewOf(client, base, serial).Online }, 5*secs+2*time.Second, 200*time.Millisecond).Should(BeFalse(),
			"still online %v after its last keepalive", 5*secs)
	})

	for i, v := range variants {
		node := fmt.Sprintf("v%d-stb0", i)
		report.Rule("sender variant tolerated — "+v.name+": boxlab's stb boots, is challenged or signs, keeps alive, and runs a command delivered by connection request", func() {
			o := stb.DefaultKeepaliveOptions()
			o.ACS = "acs"
			v.set(o)
			box := lab.StartDevice(topo, node, &stb.KeepaliveBox{Options: *o}, 1)
			Eventually(func() int { return box.Events.Count("stb.mapped", nil) }, 20*time.Second, 100*time.Millisecond).Should(Equal(1),
				"no Binding Success after boot (events: %v)", names(box))
			Expect(box.Events.Count("stb.params_set", nil) + box.Events.Count("stb.booted", nil)).To(BeNumerically(">=", 1))
			Eventually(func() bool { return viewOf(client, base, node).Online }, 10*time.Second, 100*time.Millisecond).Should(BeTrue(), "online in GET /api/devices")
			Expect(postJSON(client, base+"/api/commands", acs.QueueRequest{Kind: "get", Param: "DeviceInfo.SoftwareVersion", Devices: []string{node}}, nil)).To(Equal(200))
			Eventually(func() int { return box.Events.Count("stb.cr_accepted", nil) }, 20*time.Second, 100*time.Millisecond).Should(BeNumerically(">=", 1),
				"no connection request passed the box's G.2.1.4 check (rejected: %v)", box.Events.All("stb.cr_rejected", nil))
			Eventually(func() []lab.Event { return box.Events.All("stb.rpc", nil) }, 10*time.Second, 100*time.Millisecond).Should(
				ContainElement(HaveField("Attrs", HaveKeyWithValue("method", "GetParameterValues"))))
			Expect(box.Events.Count("stb.forged_accepted", nil)).To(BeZero())
		})
	}
})

// drain discards what is waiting on c (late copies and answers).
func drain(c *net.UDPConn) {
	buf := make([]byte, 2048)
	for {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
	}
}

// names lists the event names a box logged, for failure messages.
func names(s *lab.Started) []string {
	var out []string
	for _, e := range s.Events.All("", nil) {
		out = append(out, e.Name)
	}
	return out
}
