package traversal_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/platform"
	"github.com/boxlab/boxlab/devices/trigger"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/topology"
)

const oneHome = `
name: spec
duration: 30s
topology:
  servers: [{name: plat, role: platform}]
  homes:
    - count: 1
      nat: linux
      devices:
        - {name: cam, role: camera}
        - {name: trigger, role: trigger, options: {platform: plat, cameras: [{addr: 192.168.1.100, type: sip}]}}
`

// journal records the events a device logs, by name.
type journal struct {
	mu     sync.Mutex
	events map[string]int
}

func (j *journal) Enabled(context.Context, slog.Level) bool { return true }
func (j *journal) WithAttrs([]slog.Attr) slog.Handler       { return j }
func (j *journal) WithGroup(string) slog.Handler            { return j }
func (j *journal) Handle(_ context.Context, r slog.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.events[r.Message]++
	return nil
}

func (j *journal) count(event string) func() int {
	return func() int {
		j.mu.Lock()
		defer j.mu.Unlock()
		return j.events[event]
	}
}

// start runs a device on a node of topo until the spec ends.
func start(topo *topology.Topology, node string, d devices.Device) *journal {
	GinkgoHelper()
	n := topo.Node(node)
	Expect(n).NotTo(BeNil())
	j := &journal{events: map[string]int{}}
	env := &devices.Env{Node: node, NS: n.NS, Addr: lab.Addr(topo, node), Clock: clock.New(1), Log: slog.New(j),
		Rand: rand.New(rand.NewPCG(1, 2)),
		Server: func(name string) (netip.Addr, bool) {
			if topo.Node(name) == nil {
				return netip.Addr{}, false
			}
			return lab.Addr(topo, name), true
		}}
	env.Addrs = []netip.Addr{env.Addr}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, env) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 5*time.Second).Should(Receive(BeNil()))
	})
	return j
}

var _ = Describe("Seed 002 bad input", func() {
	It("the platform refuses malformed and unauthenticated registrations, counts them, and still registers a good trigger", func() {
		topo := lab.Build(oneHome)
		opts := platform.DefaultOptions()
		j := start(topo, "plat", &platform.Server{Options: *opts})
		reg := netip.AddrPortFrom(lab.Addr(topo, "plat"), 5080)
		c := lab.Listen(topo, "home0-cam0", 0)
		good := platform.Register{Trigger: "x", User: "trigger", Password: "secret"}.Marshal()
		Eventually(func() string {
			_, err := c.WriteToUDPAddrPort(good, reg)
			Expect(err).NotTo(HaveOccurred())
			got, _, _ := lab.Recv(c, 100*time.Millisecond)
			return got
		}, 5*time.Second).Should(Equal("OK 30"), "ARP and the platform's sockets may take a moment")
		bad := []string{"", "\x00\x01\x02", "REGISTER", "REGISTER t u", "REGISTER t trigger secret 1.2.3.4/sip", "REGISTER t trigger secret 1.2.3.4:5/telnet"}
		for _, b := range bad {
			_, err := c.WriteToUDPAddrPort([]byte(b), reg)
			Expect(err).NotTo(HaveOccurred())
		}
		Eventually(j.count("platform.bad_register"), 3*time.Second).Should(Equal(len(bad)))
		_, err := c.WriteToUDPAddrPort(platform.Register{Trigger: "x", User: "trigger", Password: "wrong"}.Marshal(), reg)
		Expect(err).NotTo(HaveOccurred())
		got, _, ok := lab.Recv(c, 3*time.Second)
		Expect(ok).To(BeTrue())
		Expect(got).To(HavePrefix("DENIED"))
		Expect(j.count("platform.register_refused")()).To(Equal(1))
		Expect(j.count("platform.register")()).To(Equal(1))
	})

	It("seed 002 S7: the trigger refuses malformed indications and unknown cameras, and forges the platform's source towards its own camera", func() {
		topo := lab.Build(oneHome)
		fake := lab.Listen(topo, "plat", 5080)
		cam := lab.Listen(topo, "home0-cam0", 5060)
		j := start(topo, "home0-trigger0", &trigger.Trigger{Options: trigger.Options{Platform: "plat", Port: 5080, User: "trigger", Password: "secret",
			Cameras: []trigger.Camera{{Addr: "192.168.1.100", Type: "sip"}}, Refresh: 1e9}})
		msg, from, ok := lab.Recv(fake, 5*time.Second)
		Expect(ok).To(BeTrue())
		r, err := platform.ParseRegister([]byte(msg))
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Cameras).To(HaveLen(1))
		platAddr := lab.Addr(topo, "plat")
		good := platform.Indication{Camera: netip.MustParseAddrPort("192.168.1.100:5060"), Server: netip.AddrPortFrom(platAddr, 5060),
			Command: platform.SendUDPTrigger, PD1: []byte("PD1 payload")}
		b, err := good.Marshal()
		Expect(err).NotTo(HaveOccurred())
		for _, bad := range [][]byte{{1}, b[:len(b)-1], append(append([]byte{}, b...), 0), append([]byte{9}, b[1:]...)} {
			_, err := fake.WriteToUDPAddrPort(bad, from)
			Expect(err).NotTo(HaveOccurred())
		}
		Eventually(j.count("trigger.bad_indication"), 3*time.Second).Should(Equal(4))
		other := good
		other.Camera = netip.MustParseAddrPort("192.168.1.50:5060")
		ob, err := other.Marshal()
		Expect(err).NotTo(HaveOccurred())
		_, err = fake.WriteToUDPAddrPort(ob, from)
		Expect(err).NotTo(HaveOccurred())
		Eventually(j.count("trigger.unknown_camera"), 3*time.Second).Should(Equal(1))
		_, err = fake.WriteToUDPAddrPort(b, from)
		Expect(err).NotTo(HaveOccurred())
		got, src, ok := lab.Recv(cam, 3*time.Second)
		Expect(ok).To(BeTrue())
		Expect(got).To(Equal("PD1 payload"))
		Expect(src).To(Equal(netip.AddrPortFrom(platAddr, 5060)), "the camera sees the platform's address, not the trigger's")
		Expect(j.count("trigger.forged")()).To(Equal(1))
	})
})
