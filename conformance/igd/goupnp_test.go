package igd_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/huin/goupnp"
	"github.com/huin/goupnp/dcps/internetgateway2"
	"github.com/huin/goupnp/httpu"
	"github.com/huin/goupnp/soap"
	"github.com/huin/goupnp/ssdp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices/igd"
)

// huin/goupnp, the UPnP control point Go programs use, against our IGD:
// SSDP discovery from a LAN host, the description it parses, and its
// generated WANIPConnection client (a second client stack beside upnpc's
// libminiupnpc, so the server is not shaped to one peer). Every socket is
// opened in the LAN host's namespace: the SSDP socket inside NS.Do, the
// HTTP ones through the namespace's dialer.
var _ = DescribeTable("Real peer: huin/goupnp discovers the IGD and maps a port that forwards (issue 6, real peers)",
	func(profile string, version int) {
		o := *igd.DefaultOptions()
		o.Version = version
		l := newLab(profile, o)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()

		// goupnp fetches descriptions with a package-level client; point it
		// at the LAN host's namespace for this spec only.
		saved := goupnp.HTTPClientDefault
		goupnp.HTTPClientDefault = l.httpFrom("home0-box0")
		DeferCleanup(func() { goupnp.HTTPClientDefault = saved })

		box := addrOf(l.topo, "home0-box0")
		var hc *httpu.HTTPUClient
		Expect(l.topo.Node("home0-box0").NS.Do(func() (err error) {
			hc, err = httpu.NewHTTPUClientAddr(box.String())
			return err
		})).To(Succeed())
		defer hc.Close()
		urn := internetgateway2.URN_WANIPConnection_1
		if version == 2 {
			urn = internetgateway2.URN_WANIPConnection_2
		}
		var loc *url.URL
		Eventually(func() error {
			resps, err := httpuSearch(ctx, hc, urn)
			if err != nil {
				return err
			}
			for _, r := range resps {
				if u, err := r.Location(); err == nil {
					loc = u
					return nil
				}
			}
			return errors.New("no answer to M-SEARCH " + urn)
		}).WithTimeout(10 * time.Second).Should(Succeed())
		Expect(loc.Host).To(Equal(netip.AddrPortFrom(l.lan, 5000).String()))

		root, err := goupnp.DeviceByURLCtx(ctx, loc)
		Expect(err).NotTo(HaveOccurred(), "goupnp parses the description")
		conn := func(node string) wanIP {
			GinkgoHelper()
			var c wanIP
			if version == 2 {
				cs, err := internetgateway2.NewWANIPConnection2ClientsFromRootDevice(root, loc)
				Expect(err).NotTo(HaveOccurred())
				Expect(cs).To(HaveLen(1))
				cs[0].SOAPClient.HTTPClient = *l.httpFrom(node)
				c = cs[0]
			} else {
				cs, err := internetgateway2.NewWANIPConnection1ClientsFromRootDevice(root, loc)
				Expect(err).NotTo(HaveOccurred())
				Expect(cs).To(HaveLen(1))
				cs[0].SOAPClient.HTTPClient = *l.httpFrom(node)
				c = cs[0]
			}
			return c
		}
		c := conn("home0-box0")

		ext, err := c.GetExternalIPAddressCtx(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(ext).To(Equal(l.wan().String()))

		Expect(c.AddPortMappingCtx(ctx, "", 43000, "UDP", 43000, box.String(), true, "goupnp", 3600)).To(Succeed())
		Expect(l.inbound("home0-box0", 43000, netip.AddrPortFrom(l.wan(), 43000))).To(BeTrue(), "the mapping goupnp made forwards")
		port, client, enabled, desc, lease, err := c.GetSpecificPortMappingEntryCtx(ctx, "", 43000, "UDP")
		Expect(err).NotTo(HaveOccurred())
		Expect([]any{port, client, enabled, desc}).To(Equal([]any{uint16(43000), box.String(), true, "goupnp"}))
		Expect(lease).To(And(BeNumerically(">", 3000), BeNumerically("<=", 3600)))

		By("another host asking for the same port gets UPnP error 718 as a SOAP fault goupnp decodes")
		err = conn("home0-pc0").AddPortMappingCtx(ctx, "", 43000, "UDP", 43000, addrOf(l.topo, "home0-pc0").String(), true, "pc", 3600)
		Expect(upnpCode(err)).To(Equal(718))

		Expect(c.DeletePortMappingCtx(ctx, "", 43000, "UDP")).To(Succeed())
		_, _, _, _, _, err = c.GetSpecificPortMappingEntryCtx(ctx, "", 43000, "UDP")
		Expect(upnpCode(err)).To(Equal(714), "deleted")
	},
	Entry("IGD:2 on the kernel NAT (linux)", "linux", 2),
	Entry("IGD:1 on the userspace NAT (port-restricted-cone)", "port-restricted-cone", 1),
)

// wanIP is what the spec uses of goupnp's WANIPConnection1 and 2 clients.
type wanIP interface {
	GetExternalIPAddressCtx(ctx context.Context) (string, error)
	AddPortMappingCtx(ctx context.Context, remote string, ext uint16, proto string, in uint16, client string, enabled bool, desc string, lease uint32) error
	GetSpecificPortMappingEntryCtx(ctx context.Context, remote string, ext uint16, proto string) (uint16, string, bool, string, uint32, error)
	DeletePortMappingCtx(ctx context.Context, remote string, ext uint16, proto string) error
}

// upnpCode is the UPnP errorCode of a SOAP fault goupnp returned, 0 if none.
func upnpCode(err error) int {
	var f *soap.SOAPFaultError
	if errors.As(err, &f) {
		return f.Detail.UPnPError.Errorcode
	}
	return 0
}

// httpuSearch is one goupnp SSDP search of 2 s (MX 1) for urn.
func httpuSearch(ctx context.Context, hc *httpu.HTTPUClient, urn string) ([]*http.Response, error) {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return ssdp.RawSearch(sctx, hc, urn, 2)
}
