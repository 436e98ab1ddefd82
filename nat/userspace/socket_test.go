package userspace

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/vishvananda/netlink"

	"github.com/boxlab/boxlab/sim/ns"
)

// TestSendSocketForFullBatches checks the send path: short batches go out
// on the polled socket and leave no send-only socket behind (an idle or
// lightly used gateway keeps one descriptor per interface); the first full
// batch opens the send-only socket, and every frame of every batch arrives,
// in order, either way.
func TestSendSocketForFullBatches(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	bn := newBenchNet(t)
	waitCarrier(t, bn.gw, "b0") // until then the device's qdisc drops what is sent
	waitCarrier(t, bn.rcv, "eth0")
	out, err := openSock(bn.gw, "b0")
	if err != nil {
		t.Fatal(err)
	}
	defer out.close()
	in, err := openSock(bn.rcv, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()

	var frames [][]byte
	for i := 0; i < 3*batchSize+5; i++ {
		f := frame(t, netip.AddrPortFrom(bn.wan.Addr(), 5000), netip.AddrPortFrom(bn.dst, 9), 64, layers.IPProtocolUDP, fmt.Appendf(nil, "seq%04d", i))
		copy(f[0:6], bn.rcvMAC[:])
		copy(f[6:12], out.mac[:])
		frames = append(frames, f)
	}
	rb := newRxBatch()
	probe := frame(t, netip.AddrPortFrom(bn.wan.Addr(), 5000), netip.AddrPortFrom(bn.dst, 9), 64, layers.IPProtocolUDP, []byte("probe"))
	copy(probe[0:6], bn.rcvMAC[:])
	copy(probe[6:12], out.mac[:])
	for seen, deadline := false, time.Now().Add(5*time.Second); !seen; { // until the link passes frames
		if time.Now().After(deadline) {
			t.Fatal("the veth pair never passed a frame")
		}
		out.send(probe)
		in.f.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := in.recv(rb)
		for i := 0; err == nil && i < n; i++ {
			seen = seen || bytes.Contains(rb.frame(i).b, []byte("probe"))
		}
	}
	tx := newTxBatch(out)
	for _, f := range frames[:5] {
		tx.add(f)
	}
	if failed := tx.flush(); failed != 0 {
		t.Fatalf("short batch: %d frames not sent", failed)
	}
	if out.tx.Load() != nil {
		t.Error("a short batch opened the send-only socket")
	}
	for _, f := range frames[5:] {
		if failed := tx.add(f); failed != 0 {
			t.Fatalf("%d frames not sent", failed)
		}
	}
	if failed := tx.flush(); failed != 0 {
		t.Fatalf("%d frames not sent", failed)
	}
	if out.tx.Load() == nil {
		t.Error("full batches did not open the send-only socket")
	}

	in.f.SetReadDeadline(time.Now().Add(3 * time.Second))
	next := 0
	for next < len(frames) {
		n, err := in.recv(rb)
		if err != nil {
			t.Fatalf("received %d of %d frames: %v", next, len(frames), err)
		}
		for i := 0; i < n; i++ {
			b := rb.frame(i).b
			if len(b) < ethLen+ipLen+8+7 || be16(b[12:]) != etherTypeIPv4 || bytes.Contains(b, []byte("probe")) {
				continue // ARP, IPv6 noise, a late probe
			}
			want := fmt.Sprintf("seq%04d", next)
			if got := string(b[ethLen+ipLen+8 : ethLen+ipLen+8+7]); got != want {
				t.Fatalf("frame %d: got %q, want %q (out of order or lost)", next, got, want)
			}
			next++
		}
	}
}

// waitCarrier waits until ifname in n is operationally up.
func waitCarrier(t *testing.T, n *ns.NS, ifname string) {
	t.Helper()
	h, err := n.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		l, err := h.LinkByName(ifname)
		if err != nil {
			t.Fatal(err)
		}
		if l.Attrs().OperState == netlink.OperUp {
			return
		}
	}
	t.Fatalf("%s never came up", ifname)
}
