package stb_test

import (
	"bytes"
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
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// The STB under test runs as an exec program in home dut0's device
// namespace, behind a linux-fullcone NAT (endpoint-independent filtering, so
// the suite's own connection requests reach the binding from any port of
// the ACS's network, not only from the STUN port). boxlab plays the ACS (its
// acs role, started by hand in the server namespace acs so the suite reads
// what the ACS saw on the wire) and the NAT.
const dutTopology = `
name: stb-exec
duration: 10m
topology:
  servers: [{name: acs, role: acs}]
  homes:
    - {name: dut, count: 1, nat: linux-fullcone, devices: [{name: stb, role: udp-echo}]}
`

const (
	dutNode = "dut0-stb0" // also its serial number: $BOXLAB_NODE
	dutGW   = "dut0-gw"
	// period and maxPeriod are the STUNMinimum/MaximumKeepAlivePeriod the ACS hands out.
	period    = 3 * time.Second
	maxPeriod = 6 * time.Second
	// quiet is how long a refused connection request must be followed by
	// no session: a local CPE opens one within milliseconds.
	quiet = 3 * time.Second
)

// underTest is the STB's command line: BOXLAB_STB_UNDER_TEST (run by sh -c
// in its namespace) or boxlab's own stb role run standalone.
func underTest() ([]string, bool) {
	return lab.UnderTest("BOXLAB_STB_UNDER_TEST", func() []string {
		return []string{lab.BoxlabBinary(), "device", "stb", "--options", "{acs: acs, reboot_time: 1s}"}
	})
}

// api reaches the ACS's operator API from the ACS's own namespace.
type api struct {
	c    *http.Client
	base string
}

func (a *api) device(id string) (acs.DeviceView, bool) {
	resp, err := a.c.Get(a.base + "/api/devices")
	if err != nil {
		return acs.DeviceView{}, false
	}
	defer resp.Body.Close()
	var vs []acs.DeviceView
	if json.NewDecoder(resp.Body).Decode(&vs) != nil {
		return acs.DeviceView{}, false
	}
	for _, v := range vs {
		if v.ID == id {
			return v, true
		}
	}
	return acs.DeviceView{}, false
}

func (a *api) queue(kind, param, device string) acs.Job {
	GinkgoHelper()
	b, _ := json.Marshal(acs.QueueRequest{Kind: kind, Param: param, Devices: []string{device}})
	resp, err := a.c.Post(a.base+"/api/commands", "application/json", bytes.NewReader(b))
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(200))
	var jobs []acs.Job
	Expect(json.NewDecoder(resp.Body).Decode(&jobs)).To(Succeed())
	Expect(jobs).To(HaveLen(1))
	return jobs[0]
}

var _ = Describe("exec STB under test (TR-069 Annex G / TR-111 Part 2)", Ordered, ContinueOnFailure, func() {
	report := &lab.RuleReport{}
	var (
		topo      *topology.Topology
		server    *lab.Started
		acsServer *acs.Server
		dut       *lab.Started
		op        *api
		rx        *net.UDPConn // the suite's own connection-request sender, in the ACS's namespace
		public    netip.Addr
		creds     acs.Params
		lastTS    uint64
		lastID    string
		lastCR    []byte
		vendor    bool
		command   []string
	)
	ev := func(name string, keep func(lab.Event) bool) []lab.Event {
		return server.Events.All(name, func(e lab.Event) bool {
			return e.Str("device") == dutNode && (keep == nil || keep(e))
		})
	}
	crSessions := func() int {
		return len(ev("acs.session", func(e lab.Event) bool { return e.Attrs["connection_request"] == true }))
	}
	binding := func() netip.AddrPort {
		v, _ := op.device(dutNode)
		ap, _ := netip.ParseAddrPort(v.Binding)
		return ap
	}
	// sendCR sends 3 copies of a request (as an ACS does) to the binding.
	sendCR := func(b []byte) {
		GinkgoHelper()
		to := binding()
		Expect(to.IsValid()).To(BeTrue(), "no binding known for the STB")
		for range 3 {
			_, err := rx.WriteToUDPAddrPort(b, to)
			Expect(err).NotTo(HaveOccurred())
		}
	}
	signed := func(ts uint64, id, un, password string) []byte {
		return annexg.Build(binding(), annexg.NewCR(ts, id, un, "suite"+id, password, annexg.SenderVariant{}), annexg.SenderVariant{})
	}
	// refused sends a request and expects no CONNECTION REQUEST session to follow.
	refused := func(b []byte) {
		GinkgoHelper()
		before := crSessions()
		sendCR(b)
		Consistently(crSessions, quiet, 100*time.Millisecond).Should(Equal(before), "a session followed a request the CPE must refuse")
	}

	BeforeAll(func() {
		command, vendor = underTest()
		topo = lab.Build(dutTopology)
		opts := acs.DefaultOptions()
		opts.Period, opts.MaxPeriod = scenario.Duration(period), scenario.Duration(maxPeriod)
		opts.Retry, opts.Attempts, opts.TTL = scenario.Duration(2*time.Second), 5, scenario.Duration(30*time.Second)
		acsServer = &acs.Server{Options: *opts}
		server = lab.StartDevice(topo, "acs", acsServer, 1)
		acsAddr := lab.Addr(topo, "acs")
		op = &api{c: &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: topo.Node("acs").NS.DialContext}},
			base: "http://" + netip.AddrPortFrom(acsAddr, 7547).String()}
		rx = lab.Listen(topo, "acs", 0)
		public = topo.PublicAddr(dutNode)
		GinkgoWriter.Printf("STB under test (%s): %q\n", map[bool]string{true: "BOXLAB_STB_UNDER_TEST", false: "boxlab device stb"}[vendor], command)
		dut = lab.StartProgram(topo, dutNode, command, 1)
		report.Title = fmt.Sprintf("STB under test %q (its output, removed after the run, was %s/%s.stdout; its last lines are printed under each failed rule), per rule:", command, dut.Env.OutDir, dutNode)
	})
	ReportAfterEach(func(r SpecReport) {
		if r.Failed() {
			lab.PrintTail(filepath.Join(dut.Env.OutDir, dutNode+".stdout"), 15)
		}
		report.Add(r)
	})

	report.Rule("TR-069 §3.7 / Annex G: boots with an Inform (0 BOOTSTRAP, 1 BOOT) to the ACS URL, DeviceId serial = $BOXLAB_NODE, reporting its own address", func() {
		Eventually(func() []lab.Event { return ev("acs.boot", nil) }, 30*time.Second, 100*time.Millisecond).ShouldNot(BeEmpty(),
			"no Inform from serial %s at http://$BOXLAB_SERVER_ACS:7547/", dutNode)
		boot := ev("acs.boot", nil)[0]
		Expect(boot.Attrs["bootstrap"]).To(Equal(true), "the first Inform carries 0 BOOTSTRAP")
		Expect(boot.Attrs["nat_detected"]).To(Equal(true), "ConnectionRequestURL/UDPConnectionRequestAddress name the CPE's own (LAN) address, not the NAT's")
		Expect(boot.Str("observed")).To(Equal(public.String()))
	})

	report.Rule("TR-069 SetParameterValues: acknowledges the STUN parameters (STUNEnable, STUNServerAddress/Port, STUNUsername/Password, periods) and reports their ParameterKey", func() {
		Eventually(func() []lab.Event { return ev("acs.params_delivered", nil) }, 10*time.Second, 100*time.Millisecond).ShouldNot(BeEmpty())
		v, ok := op.device(dutNode)
		Expect(ok).To(BeTrue())
		Expect(v.Key).NotTo(BeEmpty())
		creds, ok = acsServer.DeviceParams(dutNode) // passwords included: the suite signs its own requests
		Expect(ok).To(BeTrue())
	})

	report.Rule("TR-111 Part 2 / RFC 3489 §9.2: after a 401 challenge its keepalives carry USERNAME and a valid MESSAGE-INTEGRITY (STUNUsername/STUNPassword)", func() {
		Eventually(func() []lab.Event { return ev("acs.keepalive", nil) }, 3*period, 100*time.Millisecond).ShouldNot(BeEmpty(),
			"no keepalive accepted (the ACS requires integrity)")
		var wrong []string
		for _, e := range server.Events.All("acs.keepalive_rejected", func(e lab.Event) bool { return strings.HasPrefix(e.Str("from"), public.String()+":") }) {
			if e.Str("code") != "401" {
				wrong = append(wrong, fmt.Sprintf("%s %s", e.Str("reason"), e.Str("code")))
			}
		}
		Expect(wrong).To(BeEmpty(), "keepalives refused for another reason than the 401 challenge")
	})

	report.Rule("TR-181 UDPConnectionRequestAddress: with STUN enabled it reports its public binding (4 VALUE CHANGE), the address its keepalives come from", func() {
		Eventually(func() string { v, _ := op.device(dutNode); return v.Reported }, 3*period, 100*time.Millisecond).Should(
			And(HavePrefix(public.String()+":"), Equal(binding().String())))
		Expect(ev("acs.value_change", nil)).NotTo(BeEmpty())
	})

	report.Rule("TR-111 keepalive: the ACS sees it online", func() {
		Eventually(func() bool { v, _ := op.device(dutNode); return v.Online }, 3*period, 100*time.Millisecond).Should(BeTrue())
		Expect(ev("acs.online", nil)).NotTo(BeEmpty())
	})

	report.Rule("TR-181 STUNMinimum/MaximumKeepAlivePeriod: keeps the binding alive at least every maximum period and never more often than the minimum", func() {
		Eventually(func() int { return len(ev("acs.keepalive", nil)) }, 6*maxPeriod, 200*time.Millisecond).Should(BeNumerically(">=", 5))
		kas := ev("acs.keepalive", nil)
		slack := time.Second // scheduling on a shared machine; the periods are seconds
		var gaps []string
		for i := 1; i < len(kas); i++ {
			gap := kas[i].At.Sub(kas[i-1].At)
			gaps = append(gaps, gap.Round(10*time.Millisecond).String())
			Expect(gap).To(BeNumerically("<=", maxPeriod+slack), "gap %d", i)
		}
		GinkgoWriter.Printf("keepalive gaps: %s (min %v, max %v)\n", strings.Join(gaps, " "), period, maxPeriod)
		Expect(ev("acs.keepalive_too_frequent", nil)).To(BeEmpty(), "keepalives closer than STUNMinimumKeepAlivePeriod (BINDING-CHANGE and retransmissions excepted)")
	})

	report.Rule("TR-069 Annex G G.2.1.4: a valid UDP connection request from the ACS's STUN port opens a session (6 CONNECTION REQUEST) that runs the queued command", func() {
		j := op.queue("get", "Device.DeviceInfo.UpTime", dutNode)
		Eventually(func() []lab.Event { return ev("acs.command_done", lab.Attr("command", j.ID)) }, 20*time.Second, 100*time.Millisecond).ShouldNot(BeEmpty())
		Expect(crSessions()).To(BeNumerically(">=", 1))
	})

	report.Rule("TR-069 Annex G G.2.1.4: a valid request from any port of the ACS's network opens exactly one session; its two extra copies (same id) are ignored", func() {
		// A second past now: the ACS's own request a moment ago may carry this second.
		lastTS, lastID = uint64(time.Now().Unix())+1, "suite-1"
		lastCR = signed(lastTS, lastID, creds.CRUsername, creds.CRPassword)
		before := crSessions()
		sendCR(lastCR)
		Eventually(crSessions, 10*time.Second, 50*time.Millisecond).Should(Equal(before + 1))
		Consistently(crSessions, quiet, 100*time.Millisecond).Should(Equal(before + 1))
	})

	report.Rule("TR-069 Annex G G.2.1.4: a replayed request (same ts and id, valid signature) is refused: no session", func() {
		refused(lastCR)
	})

	report.Rule("TR-069 Annex G G.2.1.4: a request with an older ts (fresh id, valid signature) is refused: no session", func() {
		refused(signed(lastTS-100, "suite-old", creds.CRUsername, creds.CRPassword))
	})

	report.Rule("TR-069 Annex G G.2.1.4: a request repeating the last id (later ts, valid signature) is refused: no session", func() {
		refused(signed(lastTS+1, lastID, creds.CRUsername, creds.CRPassword))
	})

	report.Rule("TR-069 Annex G G.2.1.4: a forged signature (wrong password, ts an hour ahead) is refused: no session", func() {
		refused(signed(lastTS+3600, "suite-forged", creds.CRUsername, "guessed-password"))
	})

	report.Rule("TR-069 Annex G G.2.1.4: a wrong username (signed with the right password) is refused: no session", func() {
		refused(signed(lastTS+2, "suite-user", "intruder", creds.CRPassword))
	})

	report.Rule("TR-069 Annex G G.2.1.4: the refused requests changed no state (checked before it): the ACS's next genuine request still runs a command", func() {
		j := op.queue("get", "Device.DeviceInfo.SoftwareVersion", dutNode)
		Eventually(func() []lab.Event { return ev("acs.command_done", lab.Attr("command", j.ID)) }, 20*time.Second, 100*time.Millisecond).ShouldNot(BeEmpty(),
			"a forged request with a large ts may have blocked genuine ones (state updated before authentication)")
	})

	report.Rule("TR-069 Download: it fetches the file the ACS names over HTTP through the NAT and reports TransferComplete (7 TRANSFER COMPLETE) with the command's key", func() {
		j := op.queue("download", "", dutNode)
		Eventually(func() []lab.Event { return ev("acs.command_done", lab.Attr("command", j.ID)) }, 30*time.Second, 100*time.Millisecond).ShouldNot(BeEmpty(),
			"no TransferComplete for %s", j.ID)
		Expect(server.Events.All("acs.firmware_served", func(e lab.Event) bool { return e.Str("to") == public.String() })).NotTo(BeEmpty(),
			"the ACS never served the file to the box's public address")
		Expect(ev("acs.transfer_complete", lab.Attr("command", j.ID))).To(ConsistOf(HaveField("Attrs", HaveKeyWithValue("fault", BeNumerically("==", 0)))))
	})

	report.Rule("TR-069 Reboot: it reboots, boots again with 1 BOOT and M Reboot carrying the command's key (no second 0 BOOTSTRAP: the ParameterKey survives), and keeps alive again", func() {
		boots := len(ev("acs.boot", nil))
		params := len(ev("acs.params_delivered", nil))
		j := op.queue("reboot", "", dutNode)
		Eventually(func() []lab.Event { return ev("acs.command_done", lab.Attr("command", j.ID)) }, 40*time.Second, 100*time.Millisecond).ShouldNot(BeEmpty(),
			"no Inform with M Reboot %s after the reboot", j.ID)
		after := ev("acs.boot", nil)[boots:]
		Expect(after).NotTo(BeEmpty())
		Expect(after[0].Attrs["bootstrap"]).To(Equal(false), "0 BOOTSTRAP only on the first boot (or a factory reset)")
		Expect(ev("acs.params_delivered", nil)).To(HaveLen(params), "the STUN parameters were kept across the reboot")
		n := len(ev("acs.keepalive", nil))
		Eventually(func() int { return len(ev("acs.keepalive", nil)) }, 3*maxPeriod, 100*time.Millisecond).Should(BeNumerically(">", n))
		Eventually(func() bool { v, _ := op.device(dutNode); return v.Online }, 3*maxPeriod, 100*time.Millisecond).Should(BeTrue())
	})

	report.Rule("TR-111 Part 2 BINDING-CHANGE: when its mapped address moves (WAN address change) it tells the ACS with BINDING-CHANGE and reports the new binding", func() {
		gw := topo.Node(dutGW)
		np, err := topo.ChangeWAN(gw)
		Expect(err).NotTo(HaveOccurred())
		newPublic := np.Addr()
		GinkgoWriter.Printf("WAN address of %s: %s -> %s\n", dutGW, public, newPublic)
		fromNew := func(e lab.Event) bool { return strings.HasPrefix(e.Str("from"), newPublic.String()+":") }
		Eventually(func() []lab.Event {
			return ev("acs.keepalive", func(e lab.Event) bool { return fromNew(e) && e.Attrs["binding_change"] == true })
		}, 3*maxPeriod, 100*time.Millisecond).ShouldNot(BeEmpty(), "no keepalive with BINDING-CHANGE from the new address")
		Eventually(func() string { v, _ := op.device(dutNode); return v.Reported }, 3*maxPeriod, 100*time.Millisecond).Should(HavePrefix(newPublic.String()+":"),
			"UDPConnectionRequestAddress not updated by a 4 VALUE CHANGE Inform")
		public = newPublic
	})
})
