package igd_test

import (
	"encoding/xml"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/devices/igd"
)

// ssdpListen opens a socket on :1900 in node's namespace that receives the
// SSDP group (for NOTIFY), or an ephemeral one for M-SEARCH answers.
func ssdpListen(l *home, node string, group bool) *net.UDPConn {
	GinkgoHelper()
	port := 0
	if group {
		port = 1900
	}
	c := listen(l.topo, node, port)
	if group {
		rc, err := c.SyscallConn()
		Expect(err).NotTo(HaveOccurred())
		var serr error
		rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptIPMreq(int(fd), unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP,
				&unix.IPMreq{Multiaddr: [4]byte{239, 255, 255, 250}, Interface: addrOf(l.topo, node).As4()})
		})
		Expect(serr).NotTo(HaveOccurred())
	}
	return c
}

// msearch sends an M-SEARCH for st from node and collects answers for
// 1.2 s (MX is 1).
func msearch(l *home, node, st string) []string {
	GinkgoHelper()
	return msearchFor(l, node, st, 1200*time.Millisecond)
}

// msearchFor is msearch collecting answers for wait.
func msearchFor(l *home, node, st string, wait time.Duration) []string {
	GinkgoHelper()
	c := ssdpListen(l, node, false)
	defer c.Close()
	msg := "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: " + st + "\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n"
	_, err := c.WriteToUDPAddrPort([]byte(msg), netip.MustParseAddrPort("239.255.255.250:1900"))
	Expect(err).NotTo(HaveOccurred())
	var out []string
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if m, _, ok := recv(c, time.Until(deadline)); ok {
			out = append(out, m)
		}
	}
	return out
}

func header(msg, name string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var _ = Describe("IGD SSDP (UDA 1.1 §1)", Ordered, func() {
	var l *home
	BeforeAll(func() { l = newLab("linux", *igd.DefaultOptions()) }) // one lab: NOTIFY, which restarts the IGD, runs last

	DescribeTable("answers an M-SEARCH with a LOCATION to its description",
		func(st string, n int) {
			got := msearch(l, "home0-box0", st)
			Expect(got).To(HaveLen(n))
			for _, m := range got {
				Expect(m).To(HavePrefix("HTTP/1.1 200 OK\r\n"))
				Expect(header(m, "LOCATION")).To(Equal(l.base() + "/rootDesc.xml"))
				Expect(header(m, "USN")).To(HavePrefix("uuid:"))
				Expect(header(m, "BOOTID.UPNP.ORG")).NotTo(BeEmpty())
				Expect(header(m, "EXT")).To(BeEmpty())
				if st != "ssdp:all" {
					Expect(header(m, "ST")).To(Equal(st))
				}
			}
		},
		Entry("ssdp:all: every device and service", "ssdp:all", 9),
		Entry("upnp:rootdevice", "upnp:rootdevice", 1),
		Entry("InternetGatewayDevice:1 (what miniupnpc asks first)", "urn:schemas-upnp-org:device:InternetGatewayDevice:1", 1),
		Entry("InternetGatewayDevice:2", "urn:schemas-upnp-org:device:InternetGatewayDevice:2", 1),
		Entry("WANIPConnection:1", "urn:schemas-upnp-org:service:WANIPConnection:1", 1),
		Entry("WANIPConnection:2", "urn:schemas-upnp-org:service:WANIPConnection:2", 1),
		Entry("WANPPPConnection:1: not this IGD", "urn:schemas-upnp-org:service:WANPPPConnection:1", 0),
	)

	It("ignores malformed SSDP and still answers afterwards", func() {
		c := ssdpListen(l, "home0-box0", false)
		for _, junk := range []string{"", "\x00\x01", "M-SEARCH * HTTP/1.1\r\n\r\n", "M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n", strings.Repeat("A", 1400)} {
			c.WriteToUDPAddrPort([]byte(junk), netip.MustParseAddrPort("239.255.255.250:1900"))
		}
		_, _, ok := recv(c, 500*time.Millisecond)
		Expect(ok).To(BeFalse(), "no answer to a malformed M-SEARCH (no MAN, no ST)")
		Expect(msearch(l, "home0-box0", "upnp:rootdevice")).To(HaveLen(1))
	})

	It("sends NOTIFY byebye on stop and ssdp:alive on start", func() {
		c := ssdpListen(l, "home0-box0", true)
		Expect(l.igd.Close()).To(Succeed())
		seen := map[string]int{}
		for {
			m, _, ok := recv(c, 500*time.Millisecond)
			if !ok {
				break
			}
			seen[header(m, "NTS")]++
		}
		Expect(seen["ssdp:byebye"]).To(Equal(9))
		l.start()
		m, _, ok := recv(c, 2*time.Second)
		Expect(ok).To(BeTrue())
		Expect(m).To(HavePrefix("NOTIFY * HTTP/1.1\r\n"))
		Expect(header(m, "NTS")).To(Equal("ssdp:alive"))
	})
})

type xmlDevice struct {
	DeviceType string `xml:"deviceType"`
	UDN        string `xml:"UDN"`
	Services   []struct {
		ServiceType string `xml:"serviceType"`
		SCPDURL     string `xml:"SCPDURL"`
		ControlURL  string `xml:"controlURL"`
	} `xml:"serviceList>service"`
	Devices []xmlDevice `xml:"deviceList>device"`
}

type xmlSCPD struct {
	Actions []struct {
		Name string `xml:"name"`
		Args []struct {
			Name, Direction, Related string `xml:",any"`
		} `xml:"argumentList>argument"`
	} `xml:"actionList>action"`
	Vars []string `xml:"serviceStateTable>stateVariable>name"`
}

var _ = DescribeTable("IGD descriptions are valid and complete (UDA 1.1 §2, IGD:1/2)",
	func(version int, actions []string, absent []string) {
		o := *igd.DefaultOptions()
		o.Version = version
		l := newLab("linux", o)
		code, body := l.get("home0-box0", "/rootDesc.xml")
		Expect(code).To(Equal(200))
		var root struct {
			XMLName xml.Name  `xml:"urn:schemas-upnp-org:device-1-0 root"`
			Device  xmlDevice `xml:"device"`
		}
		Expect(xml.Unmarshal([]byte(body), &root)).To(Succeed())
		Expect(root.Device.DeviceType).To(Equal(fmt.Sprintf("urn:schemas-upnp-org:device:InternetGatewayDevice:%d", version)))
		wan := root.Device.Devices[0]
		Expect(wan.DeviceType).To(Equal(fmt.Sprintf("urn:schemas-upnp-org:device:WANDevice:%d", version)))
		Expect(wan.Services[0].ServiceType).To(Equal("urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1"))
		conn := wan.Devices[0]
		Expect(conn.DeviceType).To(Equal(fmt.Sprintf("urn:schemas-upnp-org:device:WANConnectionDevice:%d", version)))
		ip := conn.Services[0]
		Expect(ip.ServiceType).To(Equal(fmt.Sprintf("urn:schemas-upnp-org:service:WANIPConnection:%d", version)))
		Expect(ip.ControlURL).To(Equal("/ctl/IPConn"))

		code, body = l.get("home0-box0", ip.SCPDURL)
		Expect(code).To(Equal(200))
		var sc xmlSCPD
		Expect(xml.Unmarshal([]byte(body), &sc)).To(Succeed())
		var names []string
		for _, a := range sc.Actions {
			names = append(names, a.Name)
		}
		Expect(names).To(ContainElements(actions))
		for _, a := range absent {
			Expect(names).NotTo(ContainElement(a))
		}
		Expect(sc.Vars).To(ContainElements("ExternalIPAddress", "PortMappingNumberOfEntries", "PortMappingLeaseDuration"))
		code, _ = l.get("home0-box0", wan.Services[0].SCPDURL)
		Expect(code).To(Equal(200))
	},
	Entry("IGD:2", 2, []string{"AddPortMapping", "AddAnyPortMapping", "DeletePortMapping", "DeletePortMappingRange",
		"GetExternalIPAddress", "GetGenericPortMappingEntry", "GetSpecificPortMappingEntry", "GetListOfPortMappings", "GetStatusInfo"}, nil),
	Entry("IGD:1 has no v2 actions", 1, []string{"AddPortMapping", "DeletePortMapping", "GetExternalIPAddress",
		"GetGenericPortMappingEntry", "GetSpecificPortMappingEntry", "GetStatusInfo", "GetConnectionTypeInfo"},
		[]string{"AddAnyPortMapping", "GetListOfPortMappings", "DeletePortMappingRange"}),
)

var _ = Describe("IGD actions over HTTP (WANIPConnection:1/2)", func() {
	var l *home
	BeforeEach(func() { l = newLab("linux", *igd.DefaultOptions()) })

	It("reports the gateway's WAN address, a connected status and IP_Routed", func() {
		out, code := l.soap("home0-box0", 2, "GetExternalIPAddress")
		Expect(code).To(Equal(0))
		Expect(out["NewExternalIPAddress"]).To(Equal(l.wan().String()))
		out, code = l.soap("home0-box0", 1, "GetStatusInfo")
		Expect(code).To(Equal(0))
		Expect(out["NewConnectionStatus"]).To(Equal("Connected"))
		out, code = l.soap("home0-box0", 1, "GetConnectionTypeInfo")
		Expect(code).To(Equal(0))
		Expect(out["NewConnectionType"]).To(Equal("IP_Routed"))
	})

	It("adds, lists, finds and deletes a mapping that forwards; errors carry UPnP codes", func() {
		Expect(l.add("home0-box0", "UDP", 43000, 43000, 3600)).To(Equal(0))
		Expect(l.inbound("home0-box0", 43000, netip.AddrPortFrom(l.wan(), 43000))).To(BeTrue())
		Expect(l.add("home0-pc0", "UDP", 43000, 43000, 3600)).To(Equal(718), "ConflictInMappingEntry")
		out, code := l.soap("home0-box0", 1, "GetGenericPortMappingEntry", "NewPortMappingIndex", "0")
		Expect(code).To(Equal(0))
		Expect(out["NewExternalPort"]).To(Equal("43000"))
		Expect(out["NewInternalClient"]).To(Equal(addrOf(l.topo, "home0-box0").String()))
		_, code = l.soap("home0-box0", 1, "GetGenericPortMappingEntry", "NewPortMappingIndex", "1")
		Expect(code).To(Equal(713))
		out, code = l.soap("home0-pc0", 2, "AddAnyPortMapping", "NewRemoteHost", "", "NewExternalPort", "43000", "NewProtocol", "UDP",
			"NewInternalPort", "43000", "NewInternalClient", addrOf(l.topo, "home0-pc0").String(), "NewEnabled", "1",
			"NewPortMappingDescription", "any", "NewLeaseDuration", "600")
		Expect(code).To(Equal(0))
		Expect(out["NewReservedPort"]).NotTo(Equal("43000"), "AddAnyPortMapping picks another port on conflict")
		out, code = l.soap("home0-box0", 2, "GetListOfPortMappings", "NewStartPort", "1", "NewEndPort", "65535", "NewProtocol", "UDP",
			"NewManage", "1", "NewNumberOfPorts", "0")
		Expect(code).To(Equal(0))
		Expect(strings.Count(out["NewPortListing"], "<p:PortMappingEntry>")).To(Equal(2), "two entries, in CDATA as miniupnpd sends them")
		_, code = l.soap("home0-box0", 1, "DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", "43000", "NewProtocol", "UDP")
		Expect(code).To(Equal(0))
		_, code = l.soap("home0-box0", 1, "DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", "43000", "NewProtocol", "UDP")
		Expect(code).To(Equal(714))
		Expect(l.add("home0-box0", "UDP", 0, 43000, 0)).To(Equal(716))
		_, code = l.soap("home0-box0", 1, "AddPortMapping", "NewExternalPort", "1")
		Expect(code).To(Equal(402))
	})

	It("refuses bad requests without harm: SOAPAction mismatch, XML bomb, oversized body", func() {
		body := `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetExternalIPAddress xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1"/></s:Body></s:Envelope>`
		_, code := l.post("home0-box0", "/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:1#DeletePortMapping", []byte(body))
		Expect(code).To(Equal(401))
		bomb := `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` + strings.Replace(body, "/>", "><x>&b;</x></u:GetExternalIPAddress>", 1)
		_, code = l.post("home0-box0", "/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress", []byte(bomb))
		Expect(code).To(Equal(401))
		_, code = l.post("home0-box0", "/ctl/IPConn", "x#y", []byte(strings.Repeat("<", 64<<10)))
		Expect(code).To(Equal(-413))
		out, code := l.post("home0-box0", "/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress", []byte(body))
		Expect(code).To(Equal(0))
		Expect(out["NewExternalIPAddress"]).To(Equal(l.wan().String()))
	})
})

var _ = Describe("IGD profiles of real gateways", func() {
	It("secure mode: a host may map only to itself (606 in IGD:2, 718 in IGD:1)", func() {
		o := *igd.DefaultOptions()
		o.Secure = true
		l := newLab("linux", o)
		box := addrOf(l.topo, "home0-box0").String()
		args := []string{"NewRemoteHost", "", "NewExternalPort", "44000", "NewProtocol", "TCP", "NewInternalPort", "44000",
			"NewInternalClient", box, "NewEnabled", "1", "NewPortMappingDescription", "", "NewLeaseDuration", "60"}
		_, code := l.soap("home0-pc0", 2, "AddPortMapping", args...)
		Expect(code).To(Equal(606))
		_, code = l.soap("home0-box0", 2, "AddPortMapping", args...)
		Expect(code).To(Equal(0))
	})

	It("permanent leases only: 725 for a lease, success for 0", func() {
		o := *igd.DefaultOptions()
		o.Version, o.PermanentOnly = 1, true
		l := newLab("full-cone", o)
		Expect(l.add("home0-box0", "TCP", 44001, 44001, 60)).To(Equal(725))
		Expect(l.add("home0-box0", "TCP", 44001, 44001, 0)).To(Equal(0))
	})

	DescribeTable("keep_on_wan_change: mappings survive a WAN change on the new address (miniupnpd: DNAT without -d)",
		func(profile string) {
			o := *igd.DefaultOptions()
			o.KeepOnWANChange = true
			l := newLab(profile, o)
			Expect(l.add("home0-box0", "UDP", 47000, 47000, 3600)).To(Equal(0))
			old := l.wan()
			_, err := l.topo.ChangeWAN(l.topo.Node("home0-gw"))
			Expect(err).NotTo(HaveOccurred())
			Expect(l.wan()).NotTo(Equal(old))
			Eventually(func() int {
				_, code := l.soap("home0-box0", 1, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "47000", "NewProtocol", "UDP")
				return code
			}, 3*time.Second, 200*time.Millisecond).Should(Equal(0), "re-installed within the watcher's tick")
			Expect(l.inboundFrom(9901, "home0-box0", 47000, netip.AddrPortFrom(l.wan(), 47000))).To(BeTrue())
		},
		Entry("kernel NAT", "linux"),
		Entry("userspace NAT", "symmetric"),
	)

	It("IGDv1 only: v2 actions are 401 and the v2 service URN is not found", func() {
		o := *igd.DefaultOptions()
		o.Version = 1
		l := newLab("linux", o)
		_, code := l.soap("home0-box0", 2, "GetExternalIPAddress")
		Expect(code).To(Equal(401))
		Expect(msearch(l, "home0-box0", "urn:schemas-upnp-org:device:InternetGatewayDevice:2")).To(BeEmpty())
	})
})

var _ = DescribeTable("Leases, reboot and WAN change (seed 003 faults)",
	func(profile string) {
		l := newLab(profile, *igd.DefaultOptions())
		ext := func(p int) netip.AddrPort { return netip.AddrPortFrom(l.wan(), uint16(p)) }

		By("a 2 s lease forwards, then expires and no longer forwards a new flow")
		Expect(l.add("home0-box0", "UDP", 45000, 45000, 2)).To(Equal(0))
		Expect(l.inboundFrom(9801, "home0-box0", 45000, ext(45000))).To(BeTrue())
		time.Sleep(2500 * time.Millisecond)
		_, code := l.soap("home0-box0", 1, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "45000", "NewProtocol", "UDP")
		Expect(code).To(Equal(714), "expired")
		Expect(l.inboundFrom(9802, "home0-box0", 45000, ext(45000))).To(BeFalse())

		By("a gateway reboot loses every mapping")
		Expect(l.add("home0-box0", "UDP", 45001, 45001, 3600)).To(Equal(0))
		gw := l.topo.Node("home0-gw")
		Expect(l.topo.RebootDown(gw)).To(Succeed())
		Expect(l.topo.RebootUp(gw)).To(Succeed())
		l.igd.Rebooted()
		_, code = l.soap("home0-box0", 1, "GetGenericPortMappingEntry", "NewPortMappingIndex", "0")
		Expect(code).To(Equal(713))
		Expect(l.inboundFrom(9803, "home0-box0", 45001, ext(45001))).To(BeFalse())

		By("a WAN change: the IGD reports the new address; mappings made after it forward there")
		old := l.wan()
		_, err := l.topo.ChangeWAN(gw)
		Expect(err).NotTo(HaveOccurred())
		Expect(l.wan()).NotTo(Equal(old))
		out, code := l.soap("home0-box0", 1, "GetExternalIPAddress")
		Expect(code).To(Equal(0))
		Expect(out["NewExternalIPAddress"]).To(Equal(l.wan().String()))
		Expect(l.add("home0-box0", "UDP", 45002, 45002, 3600)).To(Equal(0))
		Expect(l.inboundFrom(9804, "home0-box0", 45002, ext(45002))).To(BeTrue())
	},
	// The kernel NAT (linux) is held to the same in requirements_test.go
	// (lease-expiry, reboot, wan-change).
	Entry("userspace NAT", "port-restricted-cone"),
)
