package topology_test

import (
	"net/netip"
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("An external NAT set up by a command", func() {
	It("runs the command in the gateway namespace and the NAT it sets up translates", func() {
		if _, err := exec.LookPath("nft"); err != nil {
			Skip("needs the nft program (Debian package nftables) to play the external NAT")
		}
		topo := build(`
name: spec
duration: 10s
topology:
  servers: [{name: srv, role: udp-echo}]
  homes:
    - nat: external
      nat_options:
        command: [sh, -c, "nft add table ip ext && nft add chain ip ext post '{ type nat hook postrouting priority 100; }' && nft add rule ip ext post oifname $BOXLAB_WAN masquerade"]
      devices: [{name: box, role: udp-echo}]
`)
		c := listen(topo, "srv", 9600)
		from, ok := sendUntil(topo, "home0-box0", 0, netip.AddrPortFrom(addrOf(topo, "srv"), 9600), c, "via external")
		Expect(ok).To(BeTrue())
		Expect(from.Addr()).To(Equal(addrOf(topo, "home0-gw")))
		// the rules live in the gateway's namespace, not the host's
		out, err := exec.Command("nft", "list", "tables").CombinedOutput()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).NotTo(ContainSubstring("ext"))
	})
})
