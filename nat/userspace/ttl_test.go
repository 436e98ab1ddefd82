package userspace

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestTimeExceededReachesSender sends a UDP datagram with TTL 1 from a LAN
// host's kernel socket through a running userspace NAT and checks that the
// host's own stack accepts the answer (RFC 1812 §5.3.1): its socket's error
// queue reports ICMP Time Exceeded in transit from the gateway's LAN address,
// which is what traceroute reads.
func TestTimeExceededReachesSender(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	bn := newBenchNet(t)
	h, err := bn.snd.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	err = h.RouteAdd(&netlink.Route{Gw: bn.lan.Addr().AsSlice()})
	h.Close()
	if err != nil {
		t.Fatal(err)
	}
	g := New(FullCone, Impairments{}).(*NAT)
	if err := g.Start(bn.link()); err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	c, err := bn.snd.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, 1)
		unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1)
	})
	dst := &net.UDPAddr{IP: bn.dst.AsSlice(), Port: 9}
	buf, oob := make([]byte, 512), make([]byte, 512)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, err := c.WriteTo([]byte("ttl-probe"), dst); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		var oobn int
		var rerr error
		rc.Read(func(fd uintptr) bool {
			_, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
			return true
		})
		if rerr != nil {
			continue // nothing yet (the NAT may still be resolving the sender)
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Header.Level != unix.IPPROTO_IP || m.Header.Type != unix.IP_RECVERR || len(m.Data) < 16+8 {
				continue
			}
			// struct sock_extended_err, then the offender's sockaddr_in.
			origin, typ, code := m.Data[4], m.Data[5], m.Data[6]
			from := netip.AddrFrom4([4]byte(m.Data[16+4 : 16+8]))
			if origin != unix.SO_EE_ORIGIN_ICMP || typ != icmpTimeExceed || code != 0 {
				t.Fatalf("error queue: origin %d type %d code %d, want ICMP 11/0", origin, typ, code)
			}
			if from != bn.lan.Addr() {
				t.Fatalf("Time Exceeded from %v, want the gateway's LAN address %v", from, bn.lan.Addr())
			}
			if port := binary.BigEndian.Uint16(m.Data[16+2:]); port != 0 {
				t.Logf("offender port %d", port)
			}
			if n := g.Counters().ICMPErrors; n == 0 {
				t.Error("the ICMP error was not counted")
			}
			return
		}
	}
	t.Fatalf("no ICMP Time Exceeded reached the sender; NAT counters %+v", g.Counters())
}
