package igd_test

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices/igd"
)

// startMiniupnpd runs Debian's miniupnpd (2.3.x, nftables build) in the
// gateway's namespace with NAT-PMP/PCP on and UPnP off, its nft chains made
// first (the package's nft_init.sh needs a helper Debian does not ship).
// It is stopped at the end of the spec; the spec is skipped without it.
func (l *home) startMiniupnpd() (stop func()) {
	GinkgoHelper()
	bin, err := exec.LookPath("miniupnpd")
	if err != nil {
		Skip("miniupnpd not installed (Debian package miniupnpd-nftables): the real-server interop spec needs it")
	}
	dir := GinkgoT().TempDir()
	ruleset := `table inet filter {
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
`
	Expect(os.WriteFile(filepath.Join(dir, "init.nft"), []byte(ruleset), 0o644)).To(Succeed())
	// and let what miniupnpd DNATs through our NAT's forward filter, as a
	// router's firewall does for its IGD (OpenWrt fw4: ct status dnat accept).
	for _, args := range [][]string{{"-f", filepath.Join(dir, "init.nft")}, {"insert", "rule", "ip", "boxlab", "forward", "ct", "status", "dnat", "accept"}} {
		nft := exec.Command("nft", args...)
		Expect(l.gwNS.NS.Start(nft)).To(Succeed())
		Expect(nft.Wait()).To(Succeed(), "nft %v", args)
	}
	conf := strings.Join([]string{"ext_ifname=" + l.gwNS.Uplink, "listening_ip=" + l.gwNS.Down[0].Bridge, "port=0",
		"enable_natpmp=yes", "enable_upnp=no", "secure_mode=yes", "lease_file=" + filepath.Join(dir, "leases"),
		"uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b", "allow 1024-65535 192.168.1.0/24 1024-65535",
		"deny 0-65535 0.0.0.0/0 0-65535", ""}, "\n")
	Expect(os.WriteFile(filepath.Join(dir, "miniupnpd.conf"), []byte(conf), 0o644)).To(Succeed())
	var out bytes.Buffer
	cmd := exec.Command(bin, "-f", filepath.Join(dir, "miniupnpd.conf"), "-d", "-P", filepath.Join(dir, "pid"))
	cmd.Stdout, cmd.Stderr = &out, &out
	Expect(l.gwNS.NS.Start(cmd)).To(Succeed())
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		GinkgoWriter.Printf("miniupnpd:\n%s\n", out.String())
	}
	DeferCleanup(stop)
	return stop
}

// Our device-side client (PMPClient) against a real NAT-PMP/PCP server:
// the mappings it gets forward, and a server restart is seen as an epoch
// reset (RFC 6886 §3.6, RFC 6887 §8.5).
var _ = It("Real peer: our NAT-PMP and PCP client maps through Debian's miniupnpd and sees its restart in the epoch", func() {
	l := newHome("linux", igd.Options{})
	stop := l.startMiniupnpd()
	box := addrOf(l.topo, "home0-box0")
	gw, err := igd.DefaultGateway(l.topo.Node("home0-box0").NS)
	Expect(err).NotTo(HaveOccurred())
	Expect(gw).To(Equal(l.lan))
	start := time.Now()
	now := func() time.Duration { return time.Since(start) }
	pmpc := &igd.PMPClient{NS: l.topo.Node("home0-box0").NS, Server: gw, Client: box, Timeout: 3 * time.Second, Now: now}
	ctx := context.Background()
	var ext netip.AddrPort
	Eventually(func() error {
		ext, _, _, err = pmpc.Map(ctx, "udp", netip.AddrPortFrom(box, 46000), 46000, time.Hour)
		return err
	}, 5*time.Second, 200*time.Millisecond).Should(Succeed(), "NAT-PMP map through miniupnpd")
	Expect(ext).To(Equal(netip.AddrPortFrom(l.wan(), 46000)))
	Expect(l.inbound("home0-box0", 46000, ext)).To(BeTrue(), "the NAT-PMP mapping miniupnpd made forwards")

	pcpc := &igd.PMPClient{NS: pmpc.NS, Server: gw, Client: box, PCP: true, Nonce: [12]byte{7}, Timeout: 3 * time.Second, Now: now}
	ext, life, _, err := pcpc.Map(ctx, "udp", netip.AddrPortFrom(box, 46001), 46001, time.Hour)
	Expect(err).NotTo(HaveOccurred(), "PCP MAP through miniupnpd")
	Expect(ext).To(Equal(netip.AddrPortFrom(l.wan(), 46001)))
	Expect(life).To(BeNumerically(">", 0))
	Expect(l.inboundFrom(9711, "home0-box0", 46001, ext)).To(BeTrue(), "the PCP mapping miniupnpd made forwards")

	By("a restarted miniupnpd: its epoch starts again and both clients notice")
	time.Sleep(5 * time.Second)
	_, _, lost, err := pcpc.Map(ctx, "udp", netip.AddrPortFrom(box, 46001), 46001, time.Hour)
	Expect(err).NotTo(HaveOccurred())
	Expect(lost).To(BeFalse(), "no restart yet")
	_, _, lost, err = pmpc.Map(ctx, "udp", netip.AddrPortFrom(box, 46000), 46000, time.Hour)
	Expect(err).NotTo(HaveOccurred())
	Expect(lost).To(BeFalse(), "no restart yet")
	// Both clients last saw an epoch of 5 s or more: a restarted server's
	// (1 s or less when asked, whole seconds) is below what RFC 6886 §3.6
	// (2 s slack) and RFC 6887 §8.5 (1 s) tolerate, however soon we ask.
	stop()
	l.startMiniupnpd()
	Eventually(func() error {
		_, _, lost, err = pcpc.Map(ctx, "udp", netip.AddrPortFrom(box, 46001), 46001, time.Hour)
		return err
	}, 5*time.Second, 200*time.Millisecond).Should(Succeed())
	Expect(lost).To(BeTrue(), "RFC 6887 §8.5: PCP epoch went back")
	_, _, lost, err = pmpc.Map(ctx, "udp", netip.AddrPortFrom(box, 46000), 46000, time.Hour)
	Expect(err).NotTo(HaveOccurred())
	Expect(lost).To(BeTrue(), "RFC 6886 §3.6: NAT-PMP epoch went back")
})
