package conform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func checkICMPKeepsMapping(ctx context.Context, h *Harness) Outcome {
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	s1, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	c, m, err := h.Mapping(h.LAN1, 45500, s1, dst)
	if err != nil {
		return failed(err)
	}
	if _, ok := Deliver(s1, m, c, h.Msg("reply"), 500*time.Millisecond); !ok {
		return failed(fmt.Errorf("s1's reply to %v did not come back", m))
	}
	// s1 closes its port: the next datagrams draw port unreachables from s1 itself.
	s1.Close()
	for i := 0; i < 2; i++ {
		c.WriteToUDPAddrPort([]byte(h.Msg("closed")), dst)
		time.Sleep(50 * time.Millisecond)
	}
	// s2, a router on the path as far as the NAT knows, says s1 is unreachable.
	icmp, err := h.icmpSocket(h.S2)
	if err != nil {
		return failed(err)
	}
	inner := append(ipv4(m.Addr(), h.S1Addr, unix.IPPROTO_UDP, 8, 0x4787, 0, false), udpDatagram(m, dst, nil)...)
	if err := icmp.send(h.Public, icmpError(3, 1, inner)); err != nil {
		return failed(err)
	}
	time.Sleep(100 * time.Millisecond)
	s1again, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	_, ok := Deliver(s1again, m, c, h.Msg("after"), 500*time.Millisecond)
	label := "mapping kept"
	if !ok {
		label = "mapping destroyed"
	}
	return comply(ok, label, "after a port unreachable from s1 and a host unreachable from s2 quoting %v->%v, s1's datagram to %v was %s",
		m, dst, m, yes(ok))
}

func checkFragmentOut(ctx context.Context, h *Harness) Outcome {
	const mtu, size = 1000, 1400
	nl, err := h.GW.NS.Netlink()
	if err != nil {
		return failed(err)
	}
	link, err := nl.LinkByName(h.GW.Uplink)
	if err == nil {
		err = nl.LinkSetMTU(link, mtu)
	}
	nl.Close()
	if err != nil {
		return failed(fmt.Errorf("set the gateway's WAN MTU: %w", err))
	}
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	s1, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	big := func(tag string) string {
		m := h.Msg(tag)
		return m + strings.Repeat(".", size-len(m))
	}
	noDF, err := h.UDP(h.LAN1, netip.Addr{}, 47000)
	if err != nil {
		return failed(err)
	}
	if err := setPMTUDisc(noDF, unix.IP_PMTUDISC_DONT); err != nil {
		return failed(err)
	}
	_, fragmented := Exchange(noDF, dst, s1, big("df0"))

	df, err := h.UDP(h.LAN1, netip.Addr{}, 47001)
	if err != nil {
		return failed(err)
	}
	if err := setPMTUDisc(df, unix.IP_PMTUDISC_DO); err != nil {
		return failed(err)
	}
	told, leaked := false, false
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && !told {
		msg := big("df1")
		_, err := df.WriteToUDPAddrPort([]byte(msg), dst)
		told = errors.Is(err, unix.EMSGSIZE)
		if _, got := Recv(s1, msg, 100*time.Millisecond); got {
			leaked = true
		}
	}
	obs := fmt.Sprintf("WAN MTU %d: a %d-byte datagram with DF=0 %s at s1 (fragmented); with DF=1 the host %s told the path MTU (EMSGSIZE)",
		mtu, size, yes(fragmented), map[bool]string{true: "was", false: "was not"}[told])
	if leaked {
		obs += "; the DF=1 datagram reached s1 unfragmented"
	}
	ok := fragmented && told && !leaked
	label := "fragments, frag-needed"
	if !ok {
		label = "fails"
	}
	return comply(ok, label, "%s", obs)
}

func setPMTUDisc(c *net.UDPConn, v int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, v)
	}); err != nil {
		return err
	}
	return serr
}

func checkFragmentOrder(ctx context.Context, h *Harness) Outcome {
	const size = 2000
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	s1, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	c, m, err := h.Mapping(h.LAN1, 48000, s1, dst)
	if err != nil {
		return failed(err)
	}
	if _, ok := Deliver(s1, m, c, h.Msg("reply"), 500*time.Millisecond); !ok {
		return failed(fmt.Errorf("s1's reply to %v did not come back", m))
	}
	lanSrc := netip.AddrPortFrom(h.Addr(h.LAN1), 48001)
	id := uint16(0x1400)
	try := func(inbound, reversed bool) (bool, error) {
		for attempt := 0; attempt < 3; attempt++ {
			msg := h.Msg("frag")
			payload := []byte(msg + strings.Repeat("#", size-len(msg)))
			id++
			var frags [][]byte
			if inbound {
				frags = fragments(dst, m, payload, id, 1480)
			} else {
				frags = fragments(lanSrc, dst, payload, id, 1480)
			}
			if reversed {
				for i, j := 0, len(frags)-1; i < j; i, j = i+1, j-1 {
					frags[i], frags[j] = frags[j], frags[i]
				}
			}
			var err error
			var got bool
			if inbound {
				err = sendRaw(h.S1, m.Addr(), frags...)
				_, got = Recv(c, string(payload), 300*time.Millisecond)
			} else {
				err = sendRaw(h.LAN1, dst.Addr(), frags...)
				_, got = Recv(s1, string(payload), 300*time.Millisecond)
			}
			if err != nil {
				return false, err
			}
			if got {
				return true, nil
			}
		}
		return false, nil
	}
	var res [4]bool
	for i, c := range []struct{ in, rev bool }{{false, false}, {false, true}, {true, false}, {true, true}} {
		if res[i], err = try(c.in, c.rev); err != nil {
			return failed(err)
		}
	}
	ok := res[0] && res[1] && res[2] && res[3]
	label := "reassembles any order"
	if !ok {
		label = "fails"
	}
	return comply(ok, label, "a %d-byte datagram in two fragments: outbound in order %s, out of order %s; inbound in order %s, out of order %s",
		size, yes(res[0]), yes(res[1]), yes(res[2]), yes(res[3]))
}
