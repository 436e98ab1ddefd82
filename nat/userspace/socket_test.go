package userspace

import (
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
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

	rb := newRxBatch()
	in.f.SetReadDeadline(time.Now().Add(3 * time.Second))
	next := 0
	for next < len(frames) {
		n, err := in.recv(rb)
		if err != nil {
			t.Fatalf("received %d of %d frames: %v", next, len(frames), err)
		}
		for i := 0; i < n; i++ {
			b := rb.frame(i).b
			if len(b) < ethLen+ipLen+8+7 || be16(b[12:]) != etherTypeIPv4 {
				continue // ARP, IPv6 noise
			}
			want := fmt.Sprintf("seq%04d", next)
			if got := string(b[ethLen+ipLen+8 : ethLen+ipLen+8+7]); got != want {
				t.Fatalf("frame %d: got %q, want %q (out of order or lost)", next, got, want)
			}
			next++
		}
	}
}
