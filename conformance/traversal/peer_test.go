package traversal_test

import (
	"crypto/rand"
	"encoding/binary"
	"net"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/rendezvous"
	"github.com/boxlab/boxlab/devices/stb"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// twoHomes has a rendezvous server and two homes behind full-cone NATs;
// the specs play devices from the homes' nodes with real sockets.
const twoHomes = `
name: spec
duration: 30s
topology:
  servers: [{name: rv, role: rendezvous, options: {devices: [{id: x, password: x}]}}]
  homes:
    - count: 2
      nat: full-cone
      devices: [{name: box, role: udp-echo}]
`

// cheapKDF keeps the specs quick; the scenarios run the default cost.
var cheapKDF = rendezvous.KDFOption{Time: 1, MemoryKiB: 256, Threads: 1}

// device is a seed 001 device played by the spec over a real socket.
type device struct {
	id, password string
	c            *net.UDPConn
	srv          netip.AddrPort
	keys         rendezvous.DeviceKeys
	seq          uint64
}

func newDevice(topo *topology.Topology, node, id, password string) *device {
	GinkgoHelper()
	return &device{id: id, password: password, c: lab.Listen(topo, node, 0), srv: netip.AddrPortFrom(lab.Addr(topo, "rv"), 7700)}
}

func (d *device) send(b []byte) {
	GinkgoHelper()
	_, err := d.c.WriteToUDPAddrPort(b, d.srv)
	Expect(err).NotTo(HaveOccurred())
}

// recv waits for the next message from the server, parsed.
func (d *device) recv() (rendezvous.Msg, []byte) {
	GinkgoHelper()
	buf := make([]byte, 2048)
	d.c.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		n, from, err := d.c.ReadFromUDPAddrPort(buf)
		Expect(err).NotTo(HaveOccurred(), "no answer from the server")
		if netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) != d.srv {
			continue
		}
		m, err := rendezvous.Parse(buf[:n])
		Expect(err).NotTo(HaveOccurred())
		return m, append([]byte(nil), buf[:n]...)
	}
}

func (d *device) hello() rendezvous.Msg {
	GinkgoHelper()
	b, err := (&rendezvous.Msg{Type: rendezvous.THello, ID: d.id, User: "stb"}).Marshal()
	Expect(err).NotTo(HaveOccurred())
	var m rendezvous.Msg
	Eventually(func() rendezvous.Type { // the first datagrams may wait for ARP
		d.send(b)
		d.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, 2048)
		n, _, err := d.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return 0
		}
		m, err = rendezvous.Parse(buf[:n])
		Expect(err).NotTo(HaveOccurred())
		return m.Type
	}, 5*time.Second).ShouldNot(BeZero())
	return m
}

// register runs hello, challenge, register; it returns the answer and the
// register datagram sent.
func (d *device) register() (rendezvous.Msg, []byte, []byte) {
	GinkgoHelper()
	ch := d.hello()
	Expect(ch.Type).To(Equal(rendezvous.TChallenge))
	d.keys = rendezvous.DeriveDeviceKeys(d.password, ch.KDF)
	reg, err := rendezvous.Sign(&rendezvous.Msg{Type: rendezvous.TRegister, ID: d.id, User: "stb", Nonce: ch.Nonce}, d.keys.Auth)
	Expect(err).NotTo(HaveOccurred())
	d.send(reg)
	m, b := d.recv()
	d.seq = 0
	return m, b, reg
}

func (d *device) signed(m *rendezvous.Msg) []byte {
	GinkgoHelper()
	d.seq++
	m.ID, m.Seq = d.id, d.seq
	b, err := rendezvous.Sign(m, d.keys.Auth)
	Expect(err).NotTo(HaveOccurred())
	d.send(b)
	return b
}

func serverOptions(mod func(o *rendezvous.Options)) *rendezvous.Options {
	o := rendezvous.DefaultOptions()
	o.KDF = cheapKDF
	o.Heartbeat = scenario.Duration(time.Second)
	o.Expires = scenario.Duration(4 * time.Second)
	o.Devices = []rendezvous.DeviceOption{{ID: "a", Password: "pa"}, {ID: "b", Password: "pb"}, {ID: "victim", Password: "right"}}
	if mod != nil {
		mod(o)
	}
	return o
}

var _ = Describe("Seed 001 rendezvous server", func() {
	It("seed 001 security: an unregistered impostor gets no address and no key; a wrong password is refused; malformed messages are refused and counted", func() {
		topo := lab.Build(twoHomes)
		j := start(topo, "rv", &rendezvous.Server{Options: *serverOptions(nil)})

		imp := newDevice(topo, "home0-box0", "intruder", "whatever")
		m := imp.hello()
		Expect(m.Type).To(Equal(rendezvous.TRefused))
		Expect(m.Reason).To(Equal(rendezvous.UnknownDevice))
		imp.keys = rendezvous.DeriveDeviceKeys("whatever", rendezvous.KDF{Time: 1, MemoryKiB: 64, Threads: 1})
		imp.signed(&rendezvous.Msg{Type: rendezvous.TConnect, Target: "a"})
		m, _ = imp.recv()
		Expect(m.Reason).To(Equal(rendezvous.UnknownDevice), "a connect from an unknown id gets no offer")

		thief := newDevice(topo, "home0-box0", "victim", "wrong")
		m, _, _ = thief.register()
		Expect(m.Type).To(Equal(rendezvous.TRefused))
		Expect(m.Reason).To(Equal(rendezvous.BadCredentials))
		thief.signed(&rendezvous.Msg{Type: rendezvous.TConnect, Target: "a"})
		m, _ = thief.recv()
		Expect(m.Reason).To(Equal(rendezvous.BadCredentials))
		Expect(j.count("rendezvous.registered")()).To(BeZero())
		Expect(j.count("rendezvous.session")()).To(BeZero())

		bad := [][]byte{{}, {1}, {2, 1, 0, 4}, {1, 99, 0, 4}, {1, 1, 0, 9, 0}, []byte("REGISTER a b c"), {1, byte(rendezvous.TOffer), 0, 4},
			{1, byte(rendezvous.TSealed), 0, 4}}
		for _, b := range bad {
			imp.send(b)
		}
		Eventually(j.count("rendezvous.bad_message"), 3*time.Second).Should(Equal(len(bad)))

		good := newDevice(topo, "home1-box0", "a", "pa")
		m, _, _ = good.register()
		Expect(m.Type).To(Equal(rendezvous.TRegistered), "the server still serves after all that")
		Expect(j.count("rendezvous.refused_unknown")()).To(BeNumerically(">=", 2))
		Expect(j.count("rendezvous.refused_credentials")()).To(Equal(2))
	})

	It("seed 001 steps 1–4: addresses per device with the observed endpoint; a fresh key per request, wrapped for each side, that the other side's or a wrong password cannot unwrap; the target told after the caller's first punch; replayed registers and heartbeats refused", func() {
		topo := lab.Build(twoHomes)
		j := start(topo, "rv", &rendezvous.Server{Options: *serverOptions(nil)})
		a := newDevice(topo, "home0-box0", "a", "pa")
		b := newDevice(topo, "home1-box0", "b", "pb")
		ra, _, regA := a.register()
		rb, _, _ := b.register()
		Expect(ra.Type).To(Equal(rendezvous.TRegistered))
		Expect(rb.Type).To(Equal(rendezvous.TRegistered))
		Expect(ra.Overlay).NotTo(Equal(rb.Overlay))
		Expect(ra.Public.Addr()).To(Equal(topo.Node("home0-gw").Addr().Addr()), "the server records the NAT's public address")

		a.send(regA)
		m, _ := a.recv()
		Expect(m.Reason).To(Equal(rendezvous.StaleChallenge), "a captured register cannot be played again")

		hb := a.signed(&rendezvous.Msg{Type: rendezvous.THeartbeat})
		m, ack := a.recv()
		Expect(m.Type).To(Equal(rendezvous.THeartbeatAck))
		Expect(rendezvous.Verify(ack, a.keys.Auth)).To(BeTrue())
		a.send(hb)
		m, _ = a.recv()
		Expect(m.Reason).To(Equal(rendezvous.Replayed))

		var keys [][32]byte
		for range 2 {
			a.signed(&rendezvous.Msg{Type: rendezvous.TConnect, Target: "b"})
			oa, ba := a.recv()
			b.c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			_, _, held := b.c.ReadFromUDPAddrPort(make([]byte, 2048))
			Expect(held).To(HaveOccurred(), "the target's offer waits for the caller's ready")
			a.signed(&rendezvous.Msg{Type: rendezvous.TReady, Session: oa.Session})
			ob, bb := b.recv()
			Expect(oa.Type).To(Equal(rendezvous.TOffer))
			Expect(ob.Type).To(Equal(rendezvous.TOffer))
			Expect(oa.Caller).To(BeTrue())
			Expect(ob.Caller).To(BeFalse())
			Expect(oa.Session).To(Equal(ob.Session))
			Expect(oa.Public).To(Equal(rb.Public), "the caller gets the target's endpoint")
			Expect(ob.Public).To(Equal(ra.Public), "the target gets the caller's")
			ka, err := rendezvous.OpenOffer(ba, a.keys.Wrap)
			Expect(err).NotTo(HaveOccurred())
			kb, err := rendezvous.OpenOffer(bb, b.keys.Wrap)
			Expect(err).NotTo(HaveOccurred())
			Expect(ka).To(Equal(kb))
			_, err = rendezvous.OpenOffer(bb, a.keys.Wrap)
			Expect(err).To(MatchError(rendezvous.ErrUnwrap), "one device cannot unwrap the other's copy")
			wrong := rendezvous.DeriveDeviceKeys("wrong", rendezvous.KDF{Time: cheapKDF.Time, MemoryKiB: cheapKDF.MemoryKiB, Threads: cheapKDF.Threads,
				Salt: rendezvous.SaltFor("boxlab", "a")})
			_, err = rendezvous.OpenOffer(ba, wrong.Wrap)
			Expect(err).To(MatchError(rendezvous.ErrUnwrap), "a wrong password cannot unwrap")
			keys = append(keys, ka)
		}
		Expect(keys[0]).NotTo(Equal(keys[1]), "seed 001 step 4: a fresh key for every request")
		Expect(j.count("rendezvous.session")()).To(Equal(2))
	})

	It("seed 001 step 3: a silent target is offline (\"target offline\"), then its registration expires and its address is released", func() {
		topo := lab.Build(twoHomes)
		j := start(topo, "rv", &rendezvous.Server{Options: *serverOptions(func(o *rendezvous.Options) { o.Expires = scenario.Duration(6 * time.Second) })})
		a := newDevice(topo, "home0-box0", "a", "pa")
		b := newDevice(topo, "home1-box0", "b", "pb")
		a.register()
		a.signed(&rendezvous.Msg{Type: rendezvous.TConnect, Target: "b"})
		m, _ := a.recv()
		Expect(m.Reason).To(Equal(rendezvous.UnknownTarget), "b never registered")
		b.register() // and then never heartbeats
		Eventually(j.count("rendezvous.offline"), 6*time.Second).Should(Equal(2), "both stopped heartbeating")
		a.signed(&rendezvous.Msg{Type: rendezvous.TConnect, Target: "b"})
		m, _ = a.recv()
		Expect(m.Reason).To(Equal(rendezvous.TargetOffline))
		Expect(m.Text).To(Equal("target offline"))
		Eventually(j.count("rendezvous.released"), 10*time.Second).Should(Equal(2))
		b.signed(&rendezvous.Msg{Type: rendezvous.THeartbeat})
		m, _ = b.recv()
		Expect(m.Reason).To(Equal(rendezvous.NotRegistered), "an expired registration is gone")
	})
})

var _ = Describe("Seed 001 set-top box peer", func() {
	It("seed 001 steps 5–6: the peer answers on an encrypted session; replayed, altered, garbage and old-key packets are refused and counted; a new request brings a new key", func() {
		topo := lab.Build(twoHomes)
		opts := serverOptions(func(o *rendezvous.Options) {
			o.Devices = append(o.Devices, rendezvous.DeviceOption{ID: "home1-box0", Password: "pp"})
		})
		start(topo, "rv", &rendezvous.Server{Options: *opts})
		po := stb.DefaultPeerOptions()
		po.Server, po.Password = "rv", "pp"
		pj := start(topo, "home1-box0", &stb.Peer{Options: *po})
		Eventually(pj.count("peer.registered"), 5*time.Second).Should(Equal(1))

		a := newDevice(topo, "home0-box0", "a", "pa")
		a.register()
		open := func() (rendezvous.Msg, rendezvous.TrafficKeys) {
			a.signed(&rendezvous.Msg{Type: rendezvous.TConnect, Target: "home1-box0"})
			o, b := a.recv()
			Expect(o.Type).To(Equal(rendezvous.TOffer))
			k, err := rendezvous.OpenOffer(b, a.keys.Wrap)
			Expect(err).NotTo(HaveOccurred())
			a.signed(&rendezvous.Msg{Type: rendezvous.TReady, Session: o.Session}) // the peer gets its offer now
			return o, rendezvous.DeriveTrafficKeys(k, o.Session)
		}
		o, tk := open()
		var seq uint64
		seal := func(key [32]byte, session uint64, kind rendezvous.Kind, body []byte) []byte {
			seq++
			b, err := rendezvous.Seal(key, rendezvous.Sealed{Session: session, Seq: seq, Kind: kind, Body: body})
			Expect(err).NotTo(HaveOccurred())
			_, err = a.c.WriteToUDPAddrPort(b, o.Public)
			Expect(err).NotTo(HaveOccurred())
			return b
		}
		// Punch until the peer's punches come back through both NATs.
		buf := make([]byte, 2048)
		var heard bool
		Eventually(func() bool {
			seal(tk.CallerToCallee, o.Session, rendezvous.KindPunch, []byte{0})
			a.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			for {
				n, _, err := a.c.ReadFromUDPAddrPort(buf)
				if err != nil {
					return heard
				}
				if p, err := rendezvous.Open(tk.CalleeToCaller, buf[:n]); err == nil && p.Kind == rendezvous.KindPunch {
					heard = true
				}
			}
		}, 5*time.Second).Should(BeTrue())
		stamp := binary.BigEndian.AppendUint64(nil, 42)
		ping := seal(tk.CallerToCallee, o.Session, rendezvous.KindPing, stamp)
		Eventually(func() bool {
			a.c.SetReadDeadline(time.Now().Add(time.Second))
			n, _, err := a.c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return false
			}
			p, err := rendezvous.Open(tk.CalleeToCaller, buf[:n])
			return err == nil && p.Kind == rendezvous.KindPong && binary.BigEndian.Uint64(p.Body) == 42
		}, 3*time.Second).Should(BeTrue(), "the ping is answered, encrypted")
		Eventually(pj.count("peer.accepted"), 2*time.Second).Should(Equal(1))

		_, err := a.c.WriteToUDPAddrPort(ping, o.Public)
		Expect(err).NotTo(HaveOccurred())
		Eventually(pj.count("peer.replay_refused"), 2*time.Second).Should(Equal(1))

		altered := append([]byte(nil), ping...)
		binary.BigEndian.PutUint64(altered[12:], seq+10)
		a.c.WriteToUDPAddrPort(altered, o.Public)
		var other [32]byte
		rand.Read(other[:])
		seal(other, o.Session, rendezvous.KindPing, stamp) // a key nobody was given
		Eventually(pj.count("peer.forged_refused"), 2*time.Second).Should(Equal(2))

		for _, g := range [][]byte{{}, {1, 16, 0, 4}, []byte("hello"), ping[:30]} {
			a.c.WriteToUDPAddrPort(g, o.Public)
		}
		Eventually(pj.count("peer.bad_packet"), 2*time.Second).Should(Equal(4))

		old, oldKeys := o, tk
		o, tk = open() // the caller asks again: a new key
		Expect(o.Session).NotTo(Equal(old.Session))
		Eventually(pj.count("peer.rekeyed"), 2*time.Second).Should(Equal(1))
		seal(oldKeys.CallerToCallee, old.Session, rendezvous.KindPing, stamp)
		Eventually(pj.count("peer.stale_refused"), 2*time.Second).Should(Equal(1), "the old session is over")
		seal(oldKeys.CallerToCallee, o.Session, rendezvous.KindPing, stamp)
		Eventually(pj.count("peer.forged_refused"), 2*time.Second).Should(Equal(3), "the old key does not open the new session")
	})
})

var _ = Describe("Seed 001 scenarios through the runner", func() {
	It("scenarios/peer.yaml: sessions behind kernel and userspace NATs, a link break and a new key, forgeries refused, a crashed box offline and released, impostors refused", func() {
		runScenario("../../scenarios/peer.yaml")
	})
	It("scenarios/peer-matrix.yaml: the caller × callee matrix of seven NAT profiles; the cells that must fail (symmetric mappings against port-dependent filters) fail and are reported; the kernel-dependent cells (linux callee of a port-dependent caller) are tried and reported", func() {
		runScenario("../../scenarios/peer-matrix.yaml")
	})
})
