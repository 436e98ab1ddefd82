package cli_test

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// netDevNames are the interface names in a copy of /proc/net/dev.
func netDevNames(text string) []string {
	var names []string
	for _, l := range strings.Split(text, "\n") {
		name, _, ok := strings.Cut(l, ":")
		if ok && !strings.Contains(name, "|") {
			names = append(names, strings.TrimSpace(name))
		}
	}
	return names
}

var _ = Describe("role exec", func() {
	It("runs the program in the device's namespace with BOXLAB_ADDR and BOXLAB_SERVER_<NAME>, writes <node>.stdout, and kills it at teardown", func() {
		cleanAfter()
		marker, pattern := sleepMarker(600) // outlives every wait below: only a kill ends it
		out := GinkgoT().TempDir()
		r := boxlab("run", fixture("exec-env.yaml", marker), "--out", out)
		Expect(r.code).To(Equal(0), "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)

		stdout, err := os.ReadFile(filepath.Join(out, "home0-box0.stdout"))
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("home0-box0.stdout:\n%s\n", stdout)

		By("/proc/net/dev is the device's: eth0, and no gateway, core or host links")
		names := netDevNames(string(stdout))
		Expect(names).To(ContainElement("eth0"))
		Expect(names).NotTo(ContainElements(ContainSubstring("wan0")))
		Expect(names).NotTo(ContainElements(ContainSubstring("lan0")))
		Expect(names).NotTo(ContainElements(ContainSubstring("srv0")))

		By("the environment: the device's LAN address and the echo server's address from pools.servers")
		m := regexp.MustCompile(`(?m)^addr=(\S*) server=(\S*)$`).FindStringSubmatch(string(stdout))
		Expect(m).NotTo(BeNil(), "no addr= line")
		Expect(m[1]).To(Equal("192.168.1.100"))
		server, err := netip.ParseAddr(m[2])
		Expect(err).NotTo(HaveOccurred(), "BOXLAB_SERVER_ECHO=%q", m[2])
		Expect(netip.MustParsePrefix("203.0.113.0/24").Contains(server)).To(BeTrue(), "server %s outside pools.servers", server)

		By("the program was started and nothing of it survives the run")
		Expect(events(out)).To(ContainElement(And(HaveKeyWithValue("event", "exec.start"), HaveKeyWithValue("node", "home0-box0"))))
		Eventually(func() []int { return pids(pattern) }, hostLimit).Should(BeEmpty(), "sleep %s still running", marker)
	})
})

// deviceEvents decodes the journal lines a `boxlab device` program wrote to
// its node's stdout file.
func deviceEvents(out, node string) []map[string]any {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(out, node+".stdout"))
	Expect(err).NotTo(HaveOccurred())
	var evs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var ev map[string]any
		Expect(json.Unmarshal([]byte(l), &ev)).To(Succeed(), "%s.stdout line %q", node, l)
		evs = append(evs, ev)
	}
	return evs
}

var _ = Describe("boxlab device", func() {
	It("runs boxlab's own roles as exec programs: traffic flows both ways through the NAT, BOXLAB_SPEED reaches them, SIGTERM stops them cleanly", func() {
		out := GinkgoT().TempDir()
		r := boxlab("run", fixture("device.yaml", binary), "--out", out)
		Expect(r.code).To(Equal(0), "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)

		By("the exec udp-echo saw the home's public address, not its LAN address")
		evs := events(out)
		var public string
		for _, ev := range evs {
			if ev["event"] == "echo.serve" && ev["node"] == "echo" {
				public, _, _ = strings.Cut(ev["from"].(string), ":")
			}
		}
		Expect(public).NotTo(BeEmpty(), "the simulated udp-echo served nobody")
		xecho := deviceEvents(out, "xecho")
		Expect(xecho[0]).To(And(HaveKeyWithValue("event", "device.start"), HaveKeyWithValue("node", "xecho"), HaveKeyWithValue("speed", 2.0)))
		served := 0
		for _, ev := range xecho {
			if ev["event"] == "echo.serve" {
				served++
				Expect(ev["from"]).To(HavePrefix(public+":"), "the exec server must see the NAT's address")
			}
		}
		Expect(served).To(BeNumerically(">=", 10))

		By("the exec udp-pinger got replies and logged them as journal lines")
		replies := 0
		for _, ev := range deviceEvents(out, "home0-xpinger0") {
			if ev["event"] == "echo.reply" {
				replies++
			}
		}
		Expect(replies).To(BeNumerically(">=", 10))

		By("both stopped on SIGTERM (device.stop) and exited 0")
		for _, node := range []string{"xecho", "home0-xpinger0"} {
			evs := deviceEvents(out, node)
			Expect(evs[len(evs)-1]).To(HaveKeyWithValue("event", "device.stop"), node)
		}
		var exits []any
		for _, ev := range evs {
			if ev["event"] == "exec.exit" {
				exits = append(exits, ev["code"])
			}
		}
		Expect(exits).To(Equal([]any{0.0, 0.0}))
	})

	It("refuses bad options like a scenario would, naming the field, with exit code 2", func() {
		r := boxlab("device", "udp-pinger", "--options", "{server: echo, intervall: 1s}")
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring(`--options:1:16: unknown field "intervall" in udp-pinger options`))
		r = boxlab("device", "udp-pinger", "--options", "{server: echo}")
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring(`server: no server named "echo"`), "BOXLAB_SERVER_ECHO is not set")

		By("--options-file: errors name the file and the line")
		f := filepath.Join(GinkgoT().TempDir(), "stb.yaml")
		Expect(os.WriteFile(f, []byte("acs: acs\ndialect: rfc5390\n"), 0o644)).To(Succeed())
		r = boxlab("device", "stb", "--options-file", f)
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring(f + `:2:1: dialect: want rfc3489 or rfc5389; got "rfc5390"`))
		Expect(r.stderr).To(ContainSubstring(f + `:1:1: acs: no server named "acs"`))
		r = boxlab("device", "stb", "--options", "{}", "--options-file", f)
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring("give --options or --options-file, not both"))
	})
})
