package userspace

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat"
)

// TestTapBeforeIngressDrop checks on the running kernel what the datapath
// relies on: an AF_PACKET socket bound with ETH_P_ALL sees a frame that the
// netdev ingress chain then drops, a socket bound with ETH_P_IP does not,
// and neither does the kernel's own UDP socket.
func TestTapBeforeIngressDrop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	bn := newBenchNet(t)
	l := nat.Link{NS: bn.gw, Node: "tap", WAN: "a0", WANAddr: bn.lan}
	if err := installIngress(l); err != nil {
		t.Fatal(err)
	}
	all, err := openSock(bn.gw, "a0")
	if err != nil {
		t.Fatal(err)
	}
	defer all.close()
	ipOnly, err := bn.gw.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ipOnly)
	if err := unix.Bind(ipOnly, &unix.SockaddrLinklayer{Protocol: htons(etherTypeIPv4), Ifindex: all.idx}); err != nil {
		t.Fatal(err)
	}
	unix.SetsockoptTimeval(ipOnly, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 300000})
	udp, err := bn.gw.ListenUDP("udp4", &net.UDPAddr{Port: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()

	f := frame(t, netip.AddrPortFrom(bn.srcIP, 4000), netip.AddrPortFrom(bn.lan.Addr(), 9), 64, layers.IPProtocolUDP, []byte("tap"))
	copy(f[0:6], bn.a0MAC[:])
	copy(f[6:12], bn.sndMAC[:])
	inj, err := openSock(bn.snd, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	defer inj.close()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // resend until seen: the veth may take a moment to get carrier
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				inj.send(f)
			}
		}
	}()

	rb := newRxBatch()
	all.f.SetReadDeadline(time.Now().Add(3 * time.Second))
	got := false
	for !got {
		n, err := all.recv(rb)
		if err != nil {
			t.Fatalf("ETH_P_ALL tap saw nothing before the ingress drop: %v", err)
		}
		for i := 0; i < n; i++ {
			if bytes.Contains(rb.frame(i).b, []byte("tap")) {
				got = true
			}
		}
	}
	buf := make([]byte, 2048)
	if n, _, err := unix.Recvfrom(ipOnly, buf, 0); err == nil {
		t.Errorf("an ETH_P_IP socket saw a dropped frame (%d bytes): taps of a protocol run after ingress only for ETH_P_ALL", n)
	}
	udp.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, err := udp.ReadFrom(buf); err == nil {
		t.Error("the kernel's UDP socket received a frame the netdev ingress chain should drop")
	}
}
