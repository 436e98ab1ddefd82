package acs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
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
		params acs.Params
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

	It("seed 000 step 1: a box behind NAT is detected (reported local address differs from the observed source)", func() {
		local := netip.AddrPortFrom(lab.Addr(topo, "home0-box0"), 7547)
		Expect(postJSON(box, base+"/cwmp/boot", acs.BootRequest{ID: "box", Local: local.String(), CRPort: 7547}, &params)).To(Equal(200))
		Expect(params.NATDetected).To(BeTrue())
		Expect(params.Observed).To(Equal(topo.PublicAddr("home0-box0").String()))
		By("seed 000 step 2: keepalive parameters are handed over")
		Expect(params.STUNPort).To(Equal(3478))
		Expect(params.STUNUsername).NotTo(BeEmpty())
		Expect(params.STUNPassword).NotTo(BeEmpty())
		Expect(params.MinPeriod).To(BeNumerically(">", 0))
	})

	It("RFC 3489 §9.2 / TR-111: a keepalive without MESSAGE-INTEGRITY gets a 401 challenge", func() {
		m := exchange(conn, stunAt, keepalive(stun.Classic, "", "", stun.CRBValue))
		code, _, err := m.ErrorCode()
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(401))
	})

	It("seed 000 step 3: a keepalive with a wrong password is refused (431) and changes nothing", func() {
		m := exchange(conn, stunAt, keepalive(stun.Classic, params.STUNUsername, "guessed", stun.CRBValue))
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
		m := exchange(conn, stunAt, keepalive(stun.Classic, params.STUNUsername, params.STUNPassword, stun.CRBValue))
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
		m := exchange(conn, stunAt, keepalive(stun.RFC5389, params.STUNUsername, params.STUNPassword, "dslforum.org/TR-111"))
		Expect(m.Type).To(Equal(stun.BindingSuccess))
		x, err := m.XORMappedAddress()
		Expect(err).NotTo(HaveOccurred())
		Expect(x.Addr()).To(Equal(topo.PublicAddr("home0-box0")))
	})

	It("TR-069 Annex G: a connection request comes from the STUN port through the NAT, 3 copies, signed with the box's password", func() {
		var jobs []acs.Job
		Expect(postJSON(box, base+"/api/commands", acs.QueueRequest{Kind: "get", Param: "Device.DeviceInfo.UpTime", Devices: []string{"box"}}, &jobs)).To(Equal(200))
		Expect(jobs).To(HaveLen(1))
		rx := &annexg.Receiver{Username: params.CRUsername, Password: params.CRPassword}
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

		By("seed 000 step 4: the box fetches the command over HTTP and reports the result")
		var sr acs.SessionReply
		Expect(postJSON(box, base+"/cwmp/session", acs.SessionRequest{ID: "box"}, &sr)).To(Equal(200))
		Expect(sr.Command).NotTo(BeNil())
		Expect(postJSON(box, base+"/cwmp/result", acs.Result{ID: "box", Command: sr.Command.ID, OK: true, Value: "7"}, nil)).To(Equal(204))
		Expect(ev.count("acs.command_done")).To(Equal(1))
	})

	It("bad input: garbage and truncated STUN get no answer and change nothing; an oversized body gets 413", func() {
		before := ev.count("acs.keepalive")
		good := keepalive(stun.Classic, params.STUNUsername, params.STUNPassword, stun.CRBValue)
		for _, b := range [][]byte{[]byte("garbage"), good[:25], append(append([]byte{}, good...), 0, 0, 0, 0)} {
			conn.WriteToUDPAddrPort(b, stunAt)
		}
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, _, err := conn.ReadFromUDPAddrPort(make([]byte, 1500))
		Expect(err).To(HaveOccurred(), "no answer to malformed datagrams")
		Expect(ev.count("acs.keepalive")).To(Equal(before))
		big := strings.Repeat("x", 100<<10)
		Expect(postJSON(box, base+"/cwmp/boot", map[string]string{"id": big}, nil)).To(Equal(413))
	})
})
