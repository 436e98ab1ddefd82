package natdp_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/sim/topology"
)

// Impairment figures of the homes below. The shaper's RNG is seeded from the
// gateway's node name, so a run draws the same losses every time.
const (
	lossPct    = 20.0
	lossFrames = 2000
	rateBits   = 2_000_000 // bits per second, WAN egress
	rateBurst  = 16 << 10  // bytes
	ratePay    = 1000      // payload bytes per datagram
)

func impairScenario() string {
	return fmt.Sprintf(`
name: natdp-impair
duration: 10s
topology:
  servers:
    - {name: srv, role: udp-echo}
  homes:
    - {name: lossy, nat: full-cone, nat_options: {wan: {loss: %g}}, devices: [{name: box, role: udp-echo}]}
    - {name: capped, nat: full-cone, nat_options: {wan: {rate: %d, burst: %d}}, devices: [{name: box, role: udp-echo}]}
`, lossPct, rateBits, rateBurst)
}

// arrival is one datagram as the server's kernel stamped it.
type arrival struct {
	seq   uint32
	bytes int
	at    time.Time
}

// collecting starts reading datagrams on c (kernel receive timestamps,
// SO_TIMESTAMPNS) while the caller sends; the result comes once quiet has
// passed without one.
func collecting(c *net.UDPConn, quiet time.Duration) <-chan []arrival {
	GinkgoHelper()
	rc, err := c.SyscallConn()
	Expect(err).NotTo(HaveOccurred())
	var serr error
	Expect(rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	})).To(Succeed())
	Expect(serr).NotTo(HaveOccurred())
	c.SetReadBuffer(4 << 20)
	out := make(chan []arrival, 1)
	go func() { out <- collect(c, quiet) }()
	return out
}

func collect(c *net.UDPConn, quiet time.Duration) []arrival {
	var got []arrival
	buf, oob := make([]byte, 2048), make([]byte, 128)
	for {
		c.SetReadDeadline(time.Now().Add(quiet))
		n, oobn, _, _, err := c.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			return got
		}
		if n < 4 {
			continue
		}
		a := arrival{seq: binary.BigEndian.Uint32(buf), bytes: n, at: time.Now()}
		if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, m := range msgs {
				if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS && len(m.Data) >= 16 {
					sec, nsec := binary.NativeEndian.Uint64(m.Data), binary.NativeEndian.Uint64(m.Data[8:])
					a.at = time.Unix(int64(sec), int64(nsec))
				}
			}
		}
		got = append(got, a)
	}
}

// paced sends count datagrams of size bytes (a big-endian sequence number
// first) from c to dst at pps per second on average, in small bursts.
func paced(c *net.UDPConn, dst netip.AddrPort, count, size int, pps float64) {
	b := make([]byte, size)
	start := time.Now()
	for i := 0; i < count; {
		due := int(time.Since(start).Seconds()*pps) + 1
		for ; i < count && i < due; i++ {
			binary.BigEndian.PutUint32(b, uint32(i))
			c.WriteToUDPAddrPort(b, dst)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func drops(topo *topology.Topology, gw, reason string) uint64 {
	return dp(topo, gw).Counters().Drops[reason]
}

var _ = Describe("Userspace NAT impairments, measured end to end", Ordered, func() {
	var topo *topology.Topology
	BeforeAll(func() { topo = build(impairScenario()) })

	It(fmt.Sprintf("drops %g%% of WAN egress frames: the loss measured at the server over %d datagrams is within 5 points, and every loss is counted", lossPct, lossFrames), func() {
		s := listen(topo, "srv", 9500)
		box := listen(topo, "lossy0-box0", 40500)
		dst := netip.AddrPortFrom(addrOf(topo, "srv"), 9500)
		_, ok := sendUntil(box, dst, s, "prime") // ARP and the mapping; some primes are lost
		Expect(ok).To(BeTrue())
		for { // drain the primes still in flight
			if _, _, ok := recv(s, 200*time.Millisecond); !ok {
				break
			}
		}
		before := drops(topo, "lossy0-gw", "impair-loss")
		arrivals := collecting(s, time.Second)
		paced(box, dst, lossFrames, 64, 2000)
		got := <-arrivals
		counted := drops(topo, "lossy0-gw", "impair-loss") - before

		seen := map[uint32]bool{}
		for _, a := range got {
			seen[a.seq] = true
		}
		lost := lossFrames - len(seen)
		measured := 100 * float64(lost) / lossFrames
		sd := 100 * math.Sqrt(lossPct/100*(1-lossPct/100)/lossFrames)
		AddReportEntry("loss", fmt.Sprintf("configured %g%%, measured %.2f%% (%d of %d lost; binomial sd %.2f points, z = %.2f); the datapath counted %d impair-loss drops",
			lossPct, measured, lost, lossFrames, sd, (measured-lossPct)/sd, counted))
		Expect(len(got)).To(Equal(len(seen)), "no duplicates")
		Expect(measured).To(BeNumerically("~", lossPct, 5), "±5 points is ±%.1f binomial sd", 5/sd)
		Expect(counted).To(BeEquivalentTo(lost), "every datagram that did not arrive was dropped by the impairment, and counted")
	})

	It(fmt.Sprintf("limits WAN egress to %d bit/s: bytes in any 1 s window ≤ rate × 1.1 + burst, and the link is not starved", rateBits), func() {
		s := listen(topo, "srv", 9510)
		box := listen(topo, "capped0-box0", 40510)
		dst := netip.AddrPortFrom(addrOf(topo, "srv"), 9510)
		_, ok := sendUntil(box, dst, s, "prime")
		Expect(ok).To(BeTrue())
		time.Sleep(time.Second) // the token bucket refills to its burst
		before := drops(topo, "capped0-gw", "impair-rate")
		// Offer twice the rate for 3 s.
		const offered = 3 * 2 * rateBits / 8 / ratePay
		arrivals := collecting(s, time.Second)
		paced(box, dst, offered, ratePay, 2*rateBits/8/ratePay)
		got := <-arrivals
		counted := drops(topo, "capped0-gw", "impair-rate") - before
		Expect(len(got)).To(BeNumerically(">", 10))

		const window = time.Second
		limit := float64(rateBits)/8*window.Seconds()*1.1 + rateBurst
		worst, j, inWin := 0, 0, 0
		for i := range got { // sliding window [got[j].at, got[i].at]
			inWin += got[i].bytes
			for got[i].at.Sub(got[j].at) >= window {
				inWin -= got[j].bytes
				j++
			}
			worst = max(worst, inWin)
		}
		total := 0
		for _, a := range got {
			total += a.bytes
		}
		span := got[len(got)-1].at.Sub(got[0].at)
		mean := float64(total) * 8 / span.Seconds()
		AddReportEntry("rate", fmt.Sprintf("configured %d bit/s, burst %d B; offered %d × %d B at twice the rate; delivered %d datagrams (%d B payload) in %v: mean %.0f bit/s (%.2f × rate); busiest 1 s window %d B (limit %.0f B); %d impair-rate drops counted",
			rateBits, rateBurst, offered, ratePay, len(got), total, span.Round(time.Millisecond), mean, mean/rateBits, worst, limit, counted))
		Expect(float64(worst)).To(BeNumerically("<=", limit), "busiest 1 s window")
		Expect(float64(total)).To(BeNumerically("<=", float64(rateBits)/8*span.Seconds()*1.1+rateBurst), "whole transfer")
		Expect(mean).To(BeNumerically(">=", rateBits/2), "a working limiter delivers about its rate when offered twice as much")
		Expect(counted).To(BeEquivalentTo(offered-len(got)), "what the limiter did not deliver it dropped, and counted")
	})
})
