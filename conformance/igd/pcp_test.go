package igd_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"runtime"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices/igd"
	"github.com/boxlab/boxlab/nat/pcp"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

// NAT-PMP (RFC 6886) and PCP (RFC 6887) on the gateway, UDP 5351, sharing
// the UPnP IGD's mapping table. Each spec names the rule it checks.

func pmpLab(profile string, mod ...func(*igd.Options)) *home {
	GinkgoHelper()
	o := *igd.DefaultOptions()
	o.NATPMP, o.PCP = true, true
	for _, m := range mod {
		m(&o)
	}
	return newLab(profile, o)
}

// ask sends req from node to the gateway's port 5351 and returns the first
// answer (nil if none within ~1.5 s, retransmitting as RFC 6886 §3.1 does).
func (l *home) ask(node string, req []byte) []byte {
	GinkgoHelper()
	c := listen(l.topo, node, 0)
	defer c.Close()
	buf := make([]byte, 2048)
	for _, wait := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond} {
		_, err := c.WriteToUDPAddrPort(req, netip.AddrPortFrom(l.lan, pcp.ServerPort))
		Expect(err).NotTo(HaveOccurred())
		c.SetReadDeadline(time.Now().Add(wait))
		if n, _, err := c.ReadFromUDPAddrPort(buf); err == nil {
			return bytes.Clone(buf[:n])
		}
	}
	return nil
}

func (l *home) pmp(node string, req pcp.PMPRequest) pcp.PMPResponse {
	GinkgoHelper()
	b := l.ask(node, req.Append(nil))
	Expect(b).NotTo(BeNil(), "no NAT-PMP answer")
	r, err := pcp.ParsePMPResponse(b)
	Expect(err).NotTo(HaveOccurred())
	Expect(r.Op).To(Equal(req.Op), "RFC 6886 §3.2/§3.3: the response opcode is 128 + the request's")
	return r
}

func (l *home) pcpAsk(node string, req pcp.Request) pcp.Response {
	GinkgoHelper()
	b := l.ask(node, req.Append(nil))
	Expect(b).NotTo(BeNil(), "no PCP answer")
	r, err := pcp.ParseResponse(b)
	Expect(err).To(BeNil())
	return r
}

func (l *home) mapReq(node string, nonce byte, port uint16, lifetime uint32, opts ...pcp.Option) pcp.Request {
	return pcp.Request{Opcode: pcp.OpMap, Lifetime: lifetime, Client: addrOf(l.topo, node), Nonce: [12]byte{nonce},
		Protocol: pcp.ProtoUDP, InternalPort: port, ExternalPort: port, ExternalAddr: pcp.AnyV4, Options: opts}
}

var _ = Describe("NAT-PMP on the gateway (RFC 6886)", func() {
	It("§3.2 external address, §3.3 map and renew, §3.4 delete: the mapping forwards and is in the IGD's table", func() {
		l := pmpLab("linux")
		a := l.pmp("home0-box0", pcp.PMPRequest{Op: pcp.PMPOpAddr})
		Expect(a.Result).To(BeEquivalentTo(pcp.PMPSuccess))
		Expect(a.External).To(Equal(l.wan()), "§3.2: the gateway's external address")

		r := l.pmp("home0-box0", pcp.PMPRequest{Op: pcp.PMPOpMapUDP, InternalPort: 43000, ExternalPort: 43000, Lifetime: 3600})
		Expect(r.Result).To(BeEquivalentTo(pcp.PMPSuccess))
		Expect(r.InternalPort).To(BeEquivalentTo(43000))
		Expect(r.ExternalPort).To(BeEquivalentTo(43000), "§3.3: the suggested port when free")
		Expect(r.Lifetime).To(BeEquivalentTo(3600))
		Expect(l.inbound("home0-box0", 43000, netip.AddrPortFrom(l.wan(), 43000))).To(BeTrue(), "the mapping forwards end to end")
		out, code := l.soap("home0-box0", 1, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43000", "NewProtocol", "UDP")
		Expect(code).To(Equal(0), "one table: UPnP sees the NAT-PMP mapping")
		Expect(out["NewInternalClient"]).To(Equal(addrOf(l.topo, "home0-box0").String()))

		By("§3.3: asking again for the same internal port renews the same mapping")
		r = l.pmp("home0-box0", pcp.PMPRequest{Op: pcp.PMPOpMapUDP, InternalPort: 43000, ExternalPort: 43999, Lifetime: 7200})
		Expect(r.ExternalPort).To(BeEquivalentTo(43000))
		Expect(r.Lifetime).To(BeEquivalentTo(7200))

		By("§3.4: lifetime 0 deletes; the answer has external port 0 and lifetime 0")
		r = l.pmp("home0-box0", pcp.PMPRequest{Op: pcp.PMPOpMapUDP, InternalPort: 43000})
		Expect(r.Result).To(BeEquivalentTo(pcp.PMPSuccess))
		Expect(r.ExternalPort).To(BeZero())
		Expect(r.Lifetime).To(BeZero())
		_, code = l.soap("home0-box0", 1, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43000", "NewProtocol", "UDP")
		Expect(code).To(Equal(714), "deleted from the shared table")
		Expect(l.igd.PMPStats().Deleted).To(BeEquivalentTo(1))
	})

	It("Real peer: Debian's natpmpc reads the external address, maps a port that forwards, and deletes it", func() {
		l := pmpLab("port-restricted-cone")
		gw := l.lan.String()
		out := l.run("natpmpc", "home0-box0", "-g", gw)
		Expect(out).To(ContainSubstring("Public IP address : " + l.wan().String()))
		out = l.run("natpmpc", "home0-box0", "-g", gw, "-a", "45000", "45000", "udp", "3600")
		Expect(out).To(ContainSubstring("Mapped public port 45000 protocol UDP to local port 45000"))
		Expect(l.inbound("home0-box0", 45000, netip.AddrPortFrom(l.wan(), 45000))).To(BeTrue())
		out = l.run("natpmpc", "home0-box0", "-g", gw, "-a", "45000", "45000", "udp", "0")
		Expect(out).NotTo(ContainSubstring("failed"))
		Expect(l.igd.PMPStats().Deleted).To(BeEquivalentTo(1))
	})
})

var _ = DescribeTable("PCP MAP on the gateway (RFC 6887 §11)",
	func(profile string) {
		l := pmpLab(profile)
		an := l.pcpAsk("home0-box0", pcp.Request{Opcode: pcp.OpAnnounce, Client: addrOf(l.topo, "home0-box0")})
		Expect(an.Result).To(Equal(pcp.Success), "§14.1: ANNOUNCE request answered")

		r := l.pcpAsk("home0-box0", l.mapReq("home0-box0", 1, 43100, 600))
		Expect(r.Result).To(Equal(pcp.Success))
		Expect(r.Nonce).To(Equal([12]byte{1}), "§11.1: the nonce is echoed")
		Expect(r.ExternalAddr).To(Equal(l.wan()), "§11.1: assigned external address (IPv4-mapped on the wire)")
		Expect(r.ExternalPort).To(BeEquivalentTo(43100))
		Expect(r.Lifetime).To(BeEquivalentTo(600))
		Expect(l.inbound("home0-box0", 43100, netip.AddrPortFrom(l.wan(), 43100))).To(BeTrue(), "the mapping forwards end to end")

		By("§11.3: renewal with the same nonce keeps the port; another nonce is NOT_AUTHORIZED")
		r = l.pcpAsk("home0-box0", l.mapReq("home0-box0", 1, 43100, 1200))
		Expect(r.Result).To(Equal(pcp.Success))
		Expect(r.ExternalPort).To(BeEquivalentTo(43100))
		Expect(r.Lifetime).To(BeEquivalentTo(1200))
		Expect(l.pcpAsk("home0-box0", l.mapReq("home0-box0", 2, 43100, 600)).Result).To(Equal(pcp.NotAuthorized))
		Expect(l.pcpAsk("home0-box0", l.mapReq("home0-box0", 2, 43100, 0)).Result).To(Equal(pcp.NotAuthorized), "nor may it delete")

		By("§15: lifetime 0 with the nonce deletes; new flows no longer pass")
		r = l.pcpAsk("home0-box0", l.mapReq("home0-box0", 1, 43100, 0))
		Expect(r.Result).To(Equal(pcp.Success))
		Expect(r.Lifetime).To(BeZero())
		Expect(l.inboundFrom(9702, "home0-box0", 43100, netip.AddrPortFrom(l.wan(), 43100))).To(BeFalse())

		By("§15: the server bounds the lifetime (here to its 120 s minimum)")
		Expect(l.pcpAsk("home0-box0", l.mapReq("home0-box0", 1, 43101, 5)).Lifetime).To(BeEquivalentTo(120))
	},
	Entry("kernel NAT (linux)", "linux"),
	Entry("userspace NAT (port-restricted-cone)", "port-restricted-cone"),
)

var _ = It("One port space: UPnP, PCP and NAT-PMP conflicts (RFC 6887 §11.3, §13.2; RFC 6886 §3.3; UPnP 718)", func() {
	l := pmpLab("linux")
	Expect(l.add("home0-box0", "UDP", 44000, 44000, 3600)).To(Equal(0), "box holds UDP 44000 by UPnP")

	r := l.pcpAsk("home0-pc0", l.mapReq("home0-pc0", 7, 44000, 600, pcp.PreferFailureOption()))
	Expect(r.Result).To(Equal(pcp.CannotProvideExternal), "§13.2: PREFER_FAILURE and the port is taken")

	r = l.pcpAsk("home0-pc0", l.mapReq("home0-pc0", 7, 44000, 600))
	Expect(r.Result).To(Equal(pcp.Success))
	Expect(r.ExternalPort).NotTo(BeEquivalentTo(44000), "§11.3: another port instead")
	pcpPort := int(r.ExternalPort)
	Expect(l.inbound("home0-pc0", 44000, netip.AddrPortFrom(l.wan(), uint16(pcpPort)))).To(BeTrue())

	m := l.pmp("home0-pc0", pcp.PMPRequest{Op: pcp.PMPOpMapTCP, InternalPort: 44000, ExternalPort: 44000, Lifetime: 600})
	Expect(m.Result).To(BeEquivalentTo(pcp.PMPSuccess))
	Expect(m.ExternalPort).To(BeEquivalentTo(44000), "TCP 44000 is free: the protocols have separate ports")
	Expect(l.add("home0-box0", "TCP", 44000, 44000, 3600)).To(Equal(718), "UPnP on a port NAT-PMP holds: 718")
	Expect(l.add("home0-box0", "UDP", pcpPort, pcpPort, 3600)).To(Equal(718), "UPnP on a port PCP holds: 718")
})

var _ = It("Epoch and announcements: reset after a reboot and a WAN change, multicast to 224.0.0.1:5350 (RFC 6886 §3.2.1, §3.6; RFC 6887 §8.5, §14.1.3)", func() {
	l := pmpLab("port-restricted-cone")
	ann := listen(l.topo, "home0-box0", pcp.ClientPort)
	hear := func() (pmp, pcpAnn *igd.Announcement) {
		GinkgoHelper()
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) && (pmp == nil || pcpAnn == nil) {
			m, _, ok := recv(ann, time.Until(deadline))
			if !ok {
				break
			}
			if a, ok := igd.ParseAnnouncement([]byte(m)); ok {
				if a.PCP {
					pcpAnn = &a
				} else {
					pmp = &a
				}
			}
		}
		Expect(pmp).NotTo(BeNil(), "a NAT-PMP address announcement")
		Expect(pcpAnn).NotTo(BeNil(), "a PCP ANNOUNCE")
		return pmp, pcpAnn
	}
	Expect(l.pcpAsk("home0-box0", l.mapReq("home0-box0", 1, 43200, 600)).Result).To(Equal(pcp.Success))
	time.Sleep(2200 * time.Millisecond)
	before := l.pmp("home0-box0", pcp.PMPRequest{Op: pcp.PMPOpAddr}).Epoch
	Expect(before).To(BeNumerically(">=", 2), "§3.6: seconds since start of epoch count up")

	By("a reboot: mappings gone, epoch from zero, announced")
	gw := l.topo.Node("home0-gw")
	Expect(l.topo.RebootDown(gw)).To(Succeed())
	Expect(l.topo.RebootUp(gw)).To(Succeed())
	ann.SetReadDeadline(time.Time{})
	drain(ann)
	l.igd.Rebooted()
	p, c := hear()
	Expect(p.Epoch).To(BeNumerically("<", before))
	Expect(c.Epoch).To(BeNumerically("<", before))
	Expect(p.External).To(Equal(l.wan()))
	var e pcp.Epoch
	e.ObservePCP(before, 0)
	Expect(e.ObservePCP(c.Epoch, 3*time.Second)).To(BeTrue(), "RFC 6887 §8.5: a client sees the state loss")
	r := l.pcpAsk("home0-box0", l.mapReq("home0-box0", 9, 43200, 600))
	Expect(r.Result).To(Equal(pcp.Success), "the old nonce's mapping is gone: a new client may take the port")

	By("a WAN change: the new address announced, the epoch reset (mappings are lost with it)")
	time.Sleep(1100 * time.Millisecond)
	before = l.pmp("home0-box0", pcp.PMPRequest{Op: pcp.PMPOpAddr}).Epoch
	drain(ann)
	_, err := l.topo.ChangeWAN(gw)
	Expect(err).NotTo(HaveOccurred())
	p, c = hear()
	Expect(p.External).To(Equal(l.wan()), "§3.2.1: the new external address")
	Expect(c.Epoch).To(BeNumerically("<", before+1))
	Expect(p.Epoch).To(BeNumerically("<=", 1))
})

// drain empties c's queue.
func drain(c interface {
	SetReadDeadline(time.Time) error
	Read([]byte) (int, error)
}) {
	buf := make([]byte, 2048)
	for {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

var _ = It("Malformed and refused requests get the right result code or are dropped and counted (RFC 6887 §8.3, RFC 6886 §3.5)", func() {
	l := pmpLab("linux")
	box := addrOf(l.topo, "home0-box0")
	good := l.mapReq("home0-box0", 1, 43300, 600)
	enc := func(r pcp.Request) []byte { return r.Append(nil) }
	patch := func(b []byte, at int, v ...byte) []byte { b = bytes.Clone(b); copy(b[at:], v); return b }
	peer := pcp.Request{Opcode: pcp.OpPeer, Lifetime: 60, Client: box, Protocol: pcp.ProtoTCP, InternalPort: 80,
		ExternalAddr: pcp.AnyV4, PeerPort: 443, PeerAddr: netip.MustParseAddr("20.0.0.9")}
	withOpt := func(o pcp.Option) []byte { r := good; r.Options = []pcp.Option{o}; return enc(r) }
	mismatch := good
	mismatch.Client = netip.MustParseAddr("192.168.1.99")
	icmp := good
	icmp.Protocol = 1
	for _, tc := range []struct {
		rule string
		req  []byte
		want pcp.Result
	}{
		{"§9: version 1 is UNSUPP_VERSION", patch(enc(good), 0, 1), pcp.UnsuppVersion},
		{"§8.3: a short header is MALFORMED_REQUEST", enc(good)[:12], pcp.MalformedRequest},
		{"§8.3: a length not a multiple of 4 is MALFORMED_REQUEST", append(enc(good), 0), pcp.MalformedRequest},
		{"§8.3: opcode 9 is UNSUPP_OPCODE", patch(enc(good), 1, 9), pcp.UnsuppOpcode},
		{"§12: PEER is not offered: UNSUPP_OPCODE", enc(peer), pcp.UnsuppOpcode},
		{"§7.3: an unknown mandatory option is UNSUPP_OPTION", withOpt(pcp.Option{Code: 99}), pcp.UnsuppOption},
		{"§13.1: THIRD_PARTY of the wrong length is MALFORMED_OPTION", withOpt(pcp.Option{Code: pcp.OptThirdParty, Data: []byte{1, 2, 3, 4}}), pcp.MalformedOption},
		{"§13.1: THIRD_PARTY when not allowed is NOT_AUTHORIZED", withOpt(pcp.ThirdPartyOption(addrOf(l.topo, "home0-pc0"))), pcp.NotAuthorized},
		{"§11.3: protocol 1 is UNSUPP_PROTOCOL", enc(icmp), pcp.UnsuppProtocol},
		{"§8.3: a client address not the source is ADDRESS_MISMATCH", enc(mismatch), pcp.AddressMismatch},
	} {
		By(tc.rule)
		b := l.ask("home0-box0", tc.req)
		Expect(b).NotTo(BeNil(), tc.rule)
		Expect(b[0]).To(BeEquivalentTo(pcp.Version))
		Expect(b[1]&0x80).NotTo(BeZero(), "the R bit")
		Expect(pcp.Result(b[3])).To(Equal(tc.want), tc.rule)
		life := binary.BigEndian.Uint32(b[4:])
		Expect(life).To(BeNumerically(">", 0), "§7.4: an error's lifetime says how long it holds")
	}
	By("RFC 6886 §3.5: NAT-PMP version 1 is Unsupported Version, opcode 7 Unsupported Opcode")
	Expect(l.ask("home0-box0", []byte{1, 0})[3]).To(BeEquivalentTo(pcp.PMPUnsuppVersion))
	Expect(l.ask("home0-box0", []byte{0, 7})[3]).To(BeEquivalentTo(pcp.PMPUnsuppOpcode))

	By("§8.3: a response (R bit) and a one-octet datagram are dropped, and counted")
	dropped := l.igd.PMPStats().Dropped
	Expect(l.ask("home0-box0", patch(enc(good), 1, 0x81))).To(BeNil())
	Expect(l.ask("home0-box0", []byte{2})).To(BeNil())
	Expect(l.igd.PMPStats().Dropped).To(BeNumerically(">=", dropped+2))

	By("500 random datagrams: no crash, the server still maps")
	c := listen(l.topo, "home0-box0", 0)
	rng := rand.New(rand.NewPCG(6, 6887))
	for i := 0; i < 500; i++ {
		b := make([]byte, rng.IntN(200))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if len(b) > 0 && i%2 == 0 {
			b[0] = byte(i % 3)
		}
		c.WriteToUDPAddrPort(b, netip.AddrPortFrom(l.lan, pcp.ServerPort))
	}
	Expect(l.pcpAsk("home0-box0", good).Result).To(Equal(pcp.Success))
	st := l.igd.PMPStats()
	Expect(st.Errors+st.Dropped).To(BeNumerically(">", 10), "bad datagrams counted")
})

// scenarios/remap-pcp.yaml end to end: devices map with PCP, NAT-PMP or
// auto through gateways with UPnP off, WAN changes and reboots reset the
// epoch, the devices notice and map again (seed 003 with RFC 6886/6887).
var _ = It("scenarios/remap-pcp.yaml: NAT-PMP/PCP devices recover from WAN changes and reboots; no protocol is reported", func() {
	_, here, _, _ := runtime.Caller(0)
	cat, err := runner.DefaultCatalog()
	Expect(err).NotTo(HaveOccurred())
	s, err := scenario.Load(filepath.Join(filepath.Dir(here), "..", "..", "scenarios", "remap-pcp.yaml"), cat)
	Expect(err).NotTo(HaveOccurred())
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: s, Catalog: cat, OutDir: GinkgoT().TempDir()})
	Expect(err).NotTo(HaveOccurred())
	for _, a := range rep.Assertions {
		GinkgoWriter.Printf("%s: measured %v, expected %v\n", a.Name, a.Measured, a.Expected)
		Expect(a.Pass).To(BeTrue(), "%s: measured %v, expected %v (%s)", a.Name, a.Measured, a.Expected, a.Detail)
	}
	Expect(rep.Assertions).To(HaveLen(9))
})

var _ = It("PCP THIRD_PARTY with pcp_third_party: a LAN host maps a port for another one (RFC 6887 §13.1; miniupnpd pcp_allow_thirdparty)", func() {
	l := pmpLab("linux", func(o *igd.Options) { o.PCPThirdParty = true })
	pc := addrOf(l.topo, "home0-pc0")
	r := l.pcpAsk("home0-box0", l.mapReq("home0-box0", 3, 43400, 600, pcp.ThirdPartyOption(pc)))
	Expect(r.Result).To(Equal(pcp.Success))
	o, ok := pcp.Find(r.Options, pcp.OptThirdParty)
	Expect(ok).To(BeTrue(), "§13.1: the processed option is in the response")
	Expect(o.ThirdParty()).To(Equal(pc))
	Expect(l.inbound("home0-pc0", 43400, netip.AddrPortFrom(l.wan(), r.ExternalPort))).To(BeTrue(), "it forwards to the third party")
	out, code := l.soap("home0-box0", 1, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43400", "NewProtocol", "UDP")
	Expect(code).To(Equal(0))
	Expect(out["NewInternalClient"]).To(Equal(pc.String()))
	r = l.pcpAsk("home0-box0", l.mapReq("home0-box0", 3, 43401, 600, pcp.ThirdPartyOption(netip.MustParseAddr("10.9.9.9"))))
	Expect(r.Result).To(Equal(pcp.NotAuthorized), "a host off the LAN is refused")
})
