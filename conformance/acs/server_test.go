package acs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/nat/stun"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/topology"
)

const twoHomes = `
name: spec
duration: 10s
topology:
  servers: [{name: acs, role: udp-echo}]
  homes:
    - {name: home, count: 1, nat: linux, devices: [{name: box, role: udp-echo}]}
`

// events records event names.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) Enabled(context.Context, slog.Level) bool { return true }
func (e *events) Handle(_ context.Context, r slog.Record) error {
	e.mu.Lock()
	e.got = append(e.got, r.Message)
	e.mu.Unlock()
	return nil
}
func (e *events) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *events) WithGroup(string) slog.Handler      { return e }
func (e *events) count(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, g := range e.got {
		if g == name {
			n++
		}
	}
	return n
}

// startACS runs the acs role by hand in the acs node's namespace.
func startACS(topo *topology.Topology, ev *events) netip.Addr {
	n := topo.Node("acs")
	addr := lab.Addr(topo, "acs")
	env := &devices.Env{Node: "acs", NS: n.NS, Addr: addr, Addrs: []netip.Addr{addr}, Clock: clock.New(1),
		Log: slog.New(ev), Rand: rand.New(rand.NewPCG(1, 1)),
		Server: func(string) (netip.Addr, bool) { return addr, true }, Public: func() netip.Addr { return addr }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); (&acs.Server{Options: *acs.DefaultOptions()}).Run(ctx, env) }()
	DeferCleanup(func() { cancel(); <-done })
	return addr
}

func httpFrom(topo *topology.Topology, node string) *http.Client {
	return &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: topo.Node(node).NS.DialContext}}
}

func postJSON(c *http.Client, url string, in, out any) int {
	GinkgoHelper()
	b, _ := json.Marshal(in)
	var resp *http.Response
	Eventually(func() error {
		var err error
		resp, err = c.Post(url, "application/json", bytes.NewReader(b))
		return err
	}, 5*time.Second, 100*time.Millisecond).Should(Succeed())
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		Expect(json.NewDecoder(resp.Body).Decode(out)).To(Succeed())
	}
	return resp.StatusCode
}

// cpe is the test's own CWMP client: one cookie jar per session.
type cpe struct {
	c    *http.Client
	url  string
	seen []string // RPC methods the ACS sent
}

func newCPE(topo *topology.Topology, node, url string) *cpe {
	jar, _ := cookiejar.New(nil)
	c := httpFrom(topo, node)
	c.Jar = jar
	return &cpe{c: c, url: url}
}

// post sends an envelope (nil: the empty POST) and returns status and envelope.
func (p *cpe) post(env *cwmp.Envelope) (int, *cwmp.Envelope) {
	GinkgoHelper()
	var body []byte
	if env != nil {
		body = cwmp.Encode(env)
	}
	var resp *http.Response
	Eventually(func() error {
		req, _ := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(body))
		req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
		req.Header.Set("SOAPAction", `""`)
		var err error
		resp, err = p.c.Do(req)
		return err
	}, 5*time.Second, 100*time.Millisecond).Should(Succeed())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	out, err := cwmp.Parse(b)
	Expect(err).NotTo(HaveOccurred(), "the ACS's envelope parses: %s", b)
	return 200, out
}

// session runs Inform, then answers every RPC with answer until 204.
func (p *cpe) session(in *cwmp.Inform, answer func(cwmp.Message) cwmp.Message) {
	GinkgoHelper()
	code, env := p.post(&cwmp.Envelope{ID: "inform-1", Body: in})
	Expect(code).To(Equal(200))
	Expect(env.Body).To(BeAssignableToTypeOf(&cwmp.InformResponse{}))
	Expect(env.ID).To(Equal("inform-1"), "TR-069 §3.5: the response echoes cwmp:ID")
	var out *cwmp.Envelope
	for range 10 {
		code, env := p.post(out)
		if code == http.StatusNoContent {
			return
		}
		Expect(code).To(Equal(200))
		p.seen = append(p.seen, env.Body.Method())
		out = &cwmp.Envelope{NS: env.NS, ID: env.ID, Body: answer(env.Body)}
	}
	Fail("the ACS never ended the session with 204")
}

func inform(serial, root string, local netip.AddrPort, events ...string) *cwmp.Inform {
	in := &cwmp.Inform{DeviceID: cwmp.DeviceID{Manufacturer: "test", OUI: "000000", ProductClass: "spec", SerialNumber: serial}, MaxEnvelopes: 1,
		Params: []cwmp.ParameterValue{
			cwmp.Param(root+"ManagementServer.ConnectionRequestURL", "string", "http://"+local.Addr().String()+":7547/"),
			cwmp.Param(root+"ManagementServer.UDPConnectionRequestAddress", "string", local.String()),
			cwmp.Param(root+"ManagementServer.ParameterKey", "string", ""),
		}}
	for _, e := range events {
		in.Events = append(in.Events, cwmp.Event{Code: e})
	}
	return in
}

// stunParams reads the keepalive parameters out of a SetParameterValues.
func stunParams(m *cwmp.SetParameterValues, root string) map[string]string {
	out := map[string]string{}
	for _, p := range m.Params {
		Expect(p.Name).To(HavePrefix(root + "ManagementServer."))
		out[strings.TrimPrefix(p.Name, root+"ManagementServer.")] = p.Value.Text
	}
	return out
}

func keepalive(d stun.Dialect, user, password, crb string) []byte {
	tid := stun.NewClassicTransactionID()
	if d == stun.RFC5389 {
		tid = stun.NewTransactionID()
	}
	m := &stun.Message{Dialect: d, Type: stun.BindingRequest, TransactionID: tid}
	if user != "" {
		m.Add(stun.AttrUsername, []byte(user))
	}
	m.Add(stun.AttrConnectionRequestBinding, []byte(crb))
	var b []byte
	if password == "" {
		b, _ = m.Encode()
	} else {
		b, _ = stun.EncodeSigned(m, password)
	}
	return b
}

// exchange sends b from c to dst and returns the parsed answer.
func exchange(c *net.UDPConn, dst netip.AddrPort, b []byte) *stun.Message {
	GinkgoHelper()
	buf := make([]byte, 1500)
	for range 20 {
		c.WriteToUDPAddrPort(b, dst)
		c.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err == nil {
			m, err := stun.Parse(buf[:n])
			Expect(err).NotTo(HaveOccurred())
			return m
		}
	}
	Fail("no STUN answer")
	return nil
}

func deviceView(c *http.Client, base, id string) acs.DeviceView {
	GinkgoHelper()
	resp, err := c.Get(base + "/api/devices")
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	var vs []acs.DeviceView
	Expect(json.NewDecoder(resp.Body).Decode(&vs)).To(Succeed())
	for _, v := range vs {
		if v.ID == id {
			return v
		}
	}
	Fail("no device " + id)
	return acs.DeviceView{}
}

var _ = Describe("acs through a real NAT", Ordered, func() {
	var (
		topo   *topology.Topology
		ev     *events
		base   string
		stunAt netip.AddrPort
		box    *http.Client
		params map[string]string
		conn   *net.UDPConn
	)
	BeforeAll(func() {
		topo = lab.Build(twoHomes)
		ev = &events{}
		addr := startACS(topo, ev)
		base = "http://" + netip.AddrPortFrom(addr, 7547).String()
		stunAt = netip.AddrPortFrom(addr, 3478)
		box = httpFrom(topo, "home0-box0")
		conn = lab.Listen(topo, "home0-box0", 7547)
	})

	It("seed 000 steps 1–2 / TR-069 §3.7: Inform, InformResponse, then SetParameterValues with the STUN parameters, then 204; NAT detected", func() {
		local := netip.AddrPortFrom(lab.Addr(topo, "home0-box0"), 7547)
		p := newCPE(topo, "home0-box0", base+"/")
		p.session(inform("box", cwmp.RootTR181, local, cwmp.EventBootstrap, cwmp.EventBoot), func(m cwmp.Message) cwmp.Message {
			spv, ok := m.(*cwmp.SetParameterValues)
			Expect(ok).To(BeTrue(), "got %s", m.Method())
			params = stunParams(spv, cwmp.RootTR181)
			return &cwmp.SetParameterValuesResponse{}
		})
		Expect(p.seen).To(Equal([]string{"SetParameterValues"}))
		Expect(params).To(HaveKeyWithValue("STUNEnable", "true"))
		Expect(params).To(HaveKeyWithValue("STUNServerPort", "3478"))
		Expect(params["STUNUsername"]).NotTo(BeEmpty())
		Expect(params["STUNPassword"]).NotTo(BeEmpty())
		Expect(params["ConnectionRequestPassword"]).NotTo(BeEmpty())
		Expect(params["STUNMinimumKeepAlivePeriod"]).NotTo(Equal("0"))
		v := deviceView(box, base, "box")
		Expect(v.NAT).To(BeTrue(), "the reported ConnectionRequestURL host differs from the observed source")
		Expect(v.Observed).To(Equal(topo.PublicAddr("home0-box0").String()))
		Expect(v.Key).NotTo(BeEmpty(), "the SetParameterValuesResponse acknowledged the ParameterKey")

		By("a second session whose Inform reports the acknowledged ParameterKey gets no RPC, only 204")
		in := inform("box", cwmp.RootTR181, local, cwmp.EventPeriodic)
		in.Params[2].Value.Text = v.Key
		again := newCPE(topo, "home0-box0", base+"/")
		again.session(in, func(m cwmp.Message) cwmp.Message { Fail("unexpected " + m.Method()); return nil })
		Expect(again.seen).To(BeEmpty())
	})

	It("TR-098: a CPE with the InternetGatewayDevice. root gets its parameters under that root", func() {
		local := netip.AddrPortFrom(lab.Addr(topo, "home0-box0"), 7547)
		p := newCPE(topo, "home0-box0", base+"/")
		p.session(inform("igd-box", cwmp.RootTR098, local, cwmp.EventBootstrap, cwmp.EventBoot), func(m cwmp.Message) cwmp.Message {
			stunParams(m.(*cwmp.SetParameterValues), cwmp.RootTR098)
			return &cwmp.SetParameterValuesResponse{}
		})
		Expect(deviceView(box, base, "igd-box").Root).To(Equal(cwmp.RootTR098))
	})

	It("RFC 3489 §9.2 / TR-111: a keepalive without MESSAGE-INTEGRITY gets a 401 challenge", func() {
		m := exchange(conn, stunAt, keepalive(stun.Classic, "", "", stun.CRBValue))
		code, _, err := m.ErrorCode()
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(401))
	})

	It("seed 000 step 3: a keepalive with a wrong password is refused (431) and changes nothing", func() {
		m := exchange(conn, stunAt, keepalive(stun.Classic, params["STUNUsername"], "guessed", stun.CRBValue))
		code, _, _ := m.ErrorCode()
		Expect(code).To(Equal(431))
		v := deviceView(box, base, "box")
		Expect(v.Online).To(BeFalse())
		Expect(v.Binding).To(BeEmpty())
	})

	It("RFC 3489: an unknown USERNAME is refused (432)", func() {
		m := exchange(conn, stunAt, keepalive(stun.Classic, "nobody", "pw", stun.CRBValue))
		code, _, _ := m.ErrorCode()
		Expect(code).To(Equal(432))
	})

	It("TR-111: a valid classic keepalive (64-byte padded MI) brings the box online and records its public binding", func() {
		m := exchange(conn, stunAt, keepalive(stun.Classic, params["STUNUsername"], params["STUNPassword"], stun.CRBValue))
		Expect(m.Type).To(Equal(stun.BindingSuccess))
		mapped, err := m.MappedAddress()
		Expect(err).NotTo(HaveOccurred())
		Expect(mapped.Addr()).To(Equal(topo.PublicAddr("home0-box0")))
		v := deviceView(box, base, "box")
		Expect(v.Online).To(BeTrue())
		Expect(v.Binding).To(Equal(mapped.String()))
		Expect(ev.count("acs.online")).To(Equal(1))
	})

	It("TR-111: an RFC 5389 keepalive with CRB lacking the trailing space is accepted (XOR-MAPPED-ADDRESS)", func() {
		m := exchange(conn, stunAt, keepalive(stun.RFC5389, params["STUNUsername"], params["STUNPassword"], "dslforum.org/TR-111"))
		Expect(m.Type).To(Equal(stun.BindingSuccess))
		x, err := m.XORMappedAddress()
		Expect(err).NotTo(HaveOccurred())
		Expect(x.Addr()).To(Equal(topo.PublicAddr("home0-box0")))
	})

	It("TR-069 Annex G: a connection request comes from the STUN port through the NAT, 3 copies, signed with the box's password", func() {
		var jobs []acs.Job
		Expect(postJSON(box, base+"/api/commands", acs.QueueRequest{Kind: "get", Param: "Device.DeviceInfo.UpTime", Devices: []string{"box"}}, &jobs)).To(Equal(200))
		Expect(jobs).To(HaveLen(1))
		rx := &annexg.Receiver{Username: params["ConnectionRequestUsername"], Password: params["ConnectionRequestPassword"]}
		var verdicts []annexg.Verdict
		buf := make([]byte, 2048)
		for len(verdicts) < 3 {
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			Expect(err).NotTo(HaveOccurred(), "after %d copies", len(verdicts))
			if !strings.HasPrefix(string(buf[:n]), "GET ") {
				continue
			}
			Expect(netip.AddrPortFrom(from.Addr().Unmap(), from.Port())).To(Equal(stunAt))
			verdicts = append(verdicts, rx.Check(buf[:n], time.Duration(len(verdicts))))
		}
		Expect(verdicts[0].OK).To(BeTrue(), "reason %s", verdicts[0].Reason)
		Expect(verdicts[1].OK).To(BeFalse(), "TR-069 G.2.1.4: the copies are refused")
		Expect(verdicts[2].OK).To(BeFalse())

		By("seed 000 step 4: the box opens a session (6 CONNECTION REQUEST) and answers the GetParameterValues")
		p := newCPE(topo, "home0-box0", base+"/")
		in := inform("box", cwmp.RootTR181, netip.AddrPortFrom(lab.Addr(topo, "home0-box0"), 7547), cwmp.EventConnectionRequest)
		in.Params[2].Value.Text = deviceView(box, base, "box").Key
		p.session(in, func(m cwmp.Message) cwmp.Message {
			g, ok := m.(*cwmp.GetParameterValues)
			Expect(ok).To(BeTrue(), "got %s", m.Method())
			Expect(g.Names).To(Equal([]string{"Device.DeviceInfo.UpTime"}))
			return &cwmp.GetParameterValuesResponse{Params: []cwmp.ParameterValue{cwmp.Param(g.Names[0], "unsignedInt", "7")}}
		})
		Expect(ev.count("acs.command_done")).To(Equal(1))

		By("TR-069 §3.6: a CPE fault (9003 with a 9005 entry) fails the command")
		Expect(postJSON(box, base+"/api/commands", acs.QueueRequest{Kind: "set", Param: "Device.Nope", Value: "1", Devices: []string{"box"}}, &jobs)).To(Equal(200))
		in.Events = []cwmp.Event{{Code: cwmp.EventPeriodic}}
		newCPE(topo, "home0-box0", base+"/").session(in, func(m cwmp.Message) cwmp.Message {
			Expect(m).To(BeAssignableToTypeOf(&cwmp.SetParameterValues{}))
			return cwmp.NewFault(cwmp.FaultInvalidArguments, cwmp.ParamFault{ParameterName: "Device.Nope", FaultCode: 9005, FaultString: "Invalid parameter name"})
		})
		Expect(ev.count("acs.command_failed")).To(Equal(1))
	})

	It("bad input: garbage and truncated STUN get no answer and change nothing; an oversized body gets 413", func() {
		before := ev.count("acs.keepalive")
		good := keepalive(stun.Classic, params["STUNUsername"], params["STUNPassword"], stun.CRBValue)
		for _, b := range [][]byte{[]byte("garbage"), good[:25], append(append([]byte{}, good...), 0, 0, 0, 0)} {
			conn.WriteToUDPAddrPort(b, stunAt)
		}
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, _, err := conn.ReadFromUDPAddrPort(make([]byte, 1500))
		Expect(err).To(HaveOccurred(), "no answer to malformed datagrams")
		Expect(ev.count("acs.keepalive")).To(Equal(before))
		for name, body := range map[string]string{
			"not XML":                      "garbage",
			"DTD / entity expansion":       `<!DOCTYPE x [<!ENTITY a "aaaa">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>`,
			"empty POST outside a session": "",
			"SOAP 1.2":                     `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`,
		} {
			resp, err := box.Post(base+"/", "text/xml", strings.NewReader(body))
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(400), name)
		}
		resp, err := box.Post(base+"/", "text/xml", strings.NewReader(strings.Repeat("x", cwmp.MaxEnvelope+10)))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(413))
	})
})
