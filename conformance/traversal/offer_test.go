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

// fakeServer is the spec playing the rendezvous server on rv's port 7700,
// so it can send the peer offers, and send them again.
type fakeServer struct{ c *net.UDPConn }

// read returns the next datagram that pick accepts, skipping the others
// (heartbeats, retransmitted hellos).
func (f fakeServer) read(d time.Duration, pick func(b []byte, from netip.AddrPort) bool) ([]byte, netip.AddrPort) {
	GinkgoHelper()
	buf := make([]byte, 2048)
	deadline := time.Now().Add(d)
	for {
		f.c.SetReadDeadline(deadline)
		n, from, err := f.c.ReadFromUDPAddrPort(buf)
		Expect(err).NotTo(HaveOccurred(), "nothing the spec waited for reached the server's port")
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if pick(buf[:n], from) {
			return append([]byte(nil), buf[:n]...), from
		}
	}
}

func (f fakeServer) msg(t rendezvous.Type) (rendezvous.Msg, []byte, netip.AddrPort) {
	GinkgoHelper()
	b, from := f.read(8*time.Second, func(b []byte, _ netip.AddrPort) bool {
		m, err := rendezvous.Parse(b)
		return err == nil && m.Type == t
	})
	m, err := rendezvous.Parse(b)
	Expect(err).NotTo(HaveOccurred())
	return m, b, from
}

func (f fakeServer) send(b []byte, to netip.AddrPort) {
	GinkgoHelper()
	_, err := f.c.WriteToUDPAddrPort(b, to)
	Expect(err).NotTo(HaveOccurred())
}

// registeredPeer starts a peer on home1-box0 (id home1-box0, password pp)
// and registers it with the spec playing the server.
func registeredPeer(topo *topology.Topology, po *stb.PeerOptions) (fakeServer, *journal, netip.AddrPort, rendezvous.DeviceKeys) {
	GinkgoHelper()
	srv := fakeServer{lab.Listen(topo, "rv", 7700)}
	pj := start(topo, "home1-box0", &stb.Peer{Options: *po})
	kdf := rendezvous.KDF{Time: cheapKDF.Time, MemoryKiB: cheapKDF.MemoryKiB, Threads: cheapKDF.Threads, Salt: rendezvous.SaltFor("spec", "home1-box0")}
	keys := rendezvous.DeriveDeviceKeys("pp", kdf)
	_, _, peerAt := srv.msg(rendezvous.THello)
	var nonce [rendezvous.NonceLen]byte
	rand.Read(nonce[:])
	ch, err := (&rendezvous.Msg{Type: rendezvous.TChallenge, ID: "home1-box0", Nonce: nonce, KDF: kdf}).Marshal()
	Expect(err).NotTo(HaveOccurred())
	srv.send(ch, peerAt)
	reg, rb, _ := srv.msg(rendezvous.TRegister)
	Expect(reg.Nonce).To(Equal(nonce))
	Expect(rendezvous.Verify(rb, keys.Auth)).To(BeTrue(), "the peer signs with its Argon2id-derived key")
	ok, err := rendezvous.Sign(&rendezvous.Msg{Type: rendezvous.TRegistered, ID: "home1-box0", Overlay: netip.MustParseAddr("10.200.0.9"),
		Public: peerAt, Heartbeat: 10000, Expires: 60000}, keys.Auth)
	Expect(err).NotTo(HaveOccurred())
	srv.send(ok, peerAt)
	Eventually(pj.count("peer.registered"), 3*time.Second).Should(Equal(1))
	return srv, pj, peerAt, keys
}

var _ = Describe("Seed 001 peer and its offers", func() {
	It("seed 001 security: the peer takes an offer once; the same offer again (a replay), or a captured offer with another session id, is refused and changes nothing; after a new key, the old offer and the old key open nothing", func() {
		topo := lab.Build(twoHomes)
		po := stb.DefaultPeerOptions()
		po.Server, po.Password, po.Relay = "rv", "pp", false
		po.PunchTimeout = scenario.Duration(30 * time.Second) // the spec's caller never answers a punch: keep the session
		srv, pj, peerAt, keys := registeredPeer(topo, po)

		// The caller's socket, and its public endpoint as a server sees it.
		caller := lab.Listen(topo, "home0-box0", 0)
		gw0 := lab.Addr(topo, "home0-gw")
		var callerAt netip.AddrPort
		Eventually(func() bool { // the first datagrams may wait for ARP
			_, err := caller.WriteToUDPAddrPort([]byte("where am I"), netip.AddrPortFrom(lab.Addr(topo, "rv"), 7700))
			Expect(err).NotTo(HaveOccurred())
			srv.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			buf := make([]byte, 2048)
			for {
				n, from, err := srv.c.ReadFromUDPAddrPort(buf)
				if err != nil {
					return false
				}
				if from.Addr().Unmap() == gw0 && string(buf[:n]) == "where am I" {
					callerAt = netip.AddrPortFrom(gw0, from.Port())
					return true
				}
			}
		}, 5*time.Second).Should(BeTrue())

		offer := func(session uint64) ([]byte, rendezvous.TrafficKeys) {
			var key [32]byte
			rand.Read(key[:])
			b, err := rendezvous.SealOffer(&rendezvous.Msg{ID: "home1-box0", Target: "a", Session: session,
				Overlay: netip.MustParseAddr("10.200.0.8"), Public: callerAt}, keys.Wrap, key, rand.Reader)
			Expect(err).NotTo(HaveOccurred())
			srv.send(b, peerAt)
			return b, rendezvous.DeriveTrafficKeys(key, session)
		}
		// punches waits for the peer's sealed packets of session under tk
		// at the caller and returns where they come from.
		punches := func(session uint64, tk rendezvous.TrafficKeys) netip.AddrPort {
			GinkgoHelper()
			buf := make([]byte, 2048)
			deadline := time.Now().Add(5 * time.Second)
			for {
				caller.SetReadDeadline(deadline)
				n, from, err := caller.ReadFromUDPAddrPort(buf)
				Expect(err).NotTo(HaveOccurred(), "no punch of session %d reached the caller", session)
				if sid, _, err := rendezvous.ParseSealed(buf[:n]); err == nil && sid == session {
					_, err := rendezvous.Open(tk.CalleeToCaller, buf[:n])
					Expect(err).NotTo(HaveOccurred(), "the peer seals session %d with its key", session)
					return from
				}
			}
		}
		sealTo := func(to netip.AddrPort, key [32]byte, session, seq uint64, kind rendezvous.Kind, body []byte) {
			b, err := rendezvous.Seal(key, rendezvous.Sealed{Session: session, Seq: seq, Kind: kind, Body: body})
			Expect(err).NotTo(HaveOccurred())
			_, err = caller.WriteToUDPAddrPort(b, to)
			Expect(err).NotTo(HaveOccurred())
		}

		first, tk1 := offer(1001)
		peerPublic := punches(1001, tk1)
		Expect(pj.count("peer.offer")()).To(Equal(1))

		srv.send(first, peerAt)
		Eventually(pj.count("peer.offer_replayed"), 3*time.Second).Should(Equal(1), "the same offer again is a replay")
		altered := append([]byte(nil), first...)
		at := rendezvous.HeaderLen + 1 + len("home1-box0") + 1 + len("a") // the session id
		binary.BigEndian.PutUint64(altered[at:], 1003)
		srv.send(altered, peerAt)
		Eventually(pj.count("peer.unwrap_failed"), 3*time.Second).Should(Equal(1), "a captured offer under another session id does not unwrap")
		Consistently(pj.count("peer.offer"), 500*time.Millisecond).Should(Equal(1), "neither replay made a session")

		_, tk2 := offer(1002)
		punches(1002, tk2)
		Eventually(pj.count("peer.rekeyed"), 3*time.Second).Should(Equal(1))
		srv.send(first, peerAt)
		Eventually(pj.count("peer.offer_replayed"), 3*time.Second).Should(Equal(2), "the old offer cannot bring the old key back")
		Expect(pj.count("peer.offer")()).To(Equal(2))

		stamp := binary.BigEndian.AppendUint64(nil, 7)
		sealTo(peerPublic, tk1.CallerToCallee, 1001, 50, rendezvous.KindPing, stamp)
		Eventually(pj.count("peer.stale_refused"), 3*time.Second).Should(Equal(1), "the old session is over")
		sealTo(peerPublic, tk1.CallerToCallee, 1002, 50, rendezvous.KindPing, stamp)
		Eventually(pj.count("peer.forged_refused"), 3*time.Second).Should(Equal(1), "the old key does not open the new session")
		sealTo(peerPublic, tk2.CallerToCallee, 1002, 51, rendezvous.KindPing, stamp)
		Eventually(func() bool {
			caller.SetReadDeadline(time.Now().Add(time.Second))
			buf := make([]byte, 2048)
			n, _, err := caller.ReadFromUDPAddrPort(buf)
			if err != nil {
				return false
			}
			p, err := rendezvous.Open(tk2.CalleeToCaller, buf[:n])
			return err == nil && p.Kind == rendezvous.KindPong && binary.BigEndian.Uint64(p.Body) == 7
		}, 3*time.Second).Should(BeTrue(), "the new key is the one the peer answers under")
	})

	It("seed 001 bad input: relay messages the peer did not ask for, with a wrong MAC, for no session, or a grant that does not unwrap, are refused and counted; the session then fails instead of using them", func() {
		topo := lab.Build(twoHomes)
		po := stb.DefaultPeerOptions()
		po.Server, po.Password = "rv", "pp"
		po.PunchTimeout, po.RelayTimeout = scenario.Duration(time.Second), scenario.Duration(10*time.Second)
		srv, pj, peerAt, keys := registeredPeer(topo, po)
		relayed := netip.MustParseAddrPort("198.51.100.7:50000")
		send := func(m *rendezvous.Msg, key [32]byte) {
			b, err := rendezvous.Sign(m, key)
			Expect(err).NotTo(HaveOccurred())
			srv.send(b, peerAt)
		}
		var other [32]byte
		rand.Read(other[:])
		send(&rendezvous.Msg{Type: rendezvous.TRelayPeer, ID: "home1-box0", Session: 77, Public: relayed}, keys.Auth) // no such session
		Eventually(pj.count("peer.bad_message"), 3*time.Second).Should(Equal(1))

		// An offer from a caller that never answers: punching fails after
		// 1 s and the peer asks for a relay.
		var key [32]byte
		rand.Read(key[:])
		b, err := rendezvous.SealOffer(&rendezvous.Msg{ID: "home1-box0", Target: "a", Session: 1001, Overlay: netip.MustParseAddr("10.200.0.8"),
			Public: netip.MustParseAddrPort("198.51.100.8:40000")}, keys.Wrap, key, rand.Reader)
		Expect(err).NotTo(HaveOccurred())
		srv.send(b, peerAt)
		send(&rendezvous.Msg{Type: rendezvous.TRelayPeer, ID: "home1-box0", Session: 1001, Public: relayed}, other) // wrong MAC
		grant := func(seq uint64, wrap [32]byte) {
			g, err := rendezvous.SealGrant(&rendezvous.Msg{ID: "home1-box0", Session: 1001, Seq: seq, Public: netip.AddrPortFrom(lab.Addr(topo, "rv"), 3478),
				User: "1795000000:home1-box0"}, wrap, [rendezvous.TURNDigestLen]byte{1}, rand.Reader)
			Expect(err).NotTo(HaveOccurred())
			srv.send(g, peerAt)
		}
		grant(999, keys.Wrap) // answers no request
		Eventually(pj.count("peer.bad_message"), 3*time.Second).Should(Equal(3))
		Expect(pj.count("peer.relay_peer")()).To(BeZero(), "neither relayed address was taken")

		req, _, _ := srv.msg(rendezvous.TRelayReq)
		Expect(req.Session).To(Equal(uint64(1001)))
		Expect(pj.count("peer.punch_failed")()).To(Equal(1))
		grant(req.Seq, other) // the right request, but not wrapped for this device
		Eventually(pj.count("peer.unwrap_failed"), 3*time.Second).Should(Equal(1))
		Expect(pj.count("peer.relay_allocated")()).To(BeZero(), "nothing allocated with credentials it could not read")
	})
})
