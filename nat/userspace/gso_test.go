package userspace

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestSegmentTCPLikeTSO(t *testing.T) {
	payload := make([]byte, 5000)
	for i := range payload {
		payload[i] = byte(i)
	}
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 100, Protocol: layers.IPProtocolTCP, SrcIP: lanHost.Addr().AsSlice(), DstIP: server.Addr().AsSlice()}
	tc := &layers.TCP{SrcPort: 1, DstPort: 2, Seq: 0xfffff000, ACK: true, PSH: true, FIN: true, Window: 100}
	tc.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tc, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	segs := segmentTCP(buf.Bytes(), 1500)
	if len(segs) != 4 {
		t.Fatalf("5000 bytes at MSS 1460: want 4 segments, got %d", len(segs))
	}
	var got []byte
	for i, s := range segs {
		var p packet
		if r := parse(s, false, &p); r != "" {
			t.Fatalf("segment %d: %s", i, r)
		}
		if len(s)-ethLen > 1500 {
			t.Fatalf("segment %d is %d bytes", i, len(s)-ethLen)
		}
		tcp := s[ethLen+ipLen:]
		if seq := binary.BigEndian.Uint32(tcp[4:]); seq != 0xfffff000+uint32(len(got)) {
			t.Fatalf("segment %d seq %#x", i, seq)
		}
		last := i == len(segs)-1
		if (tcp[13]&0x09 != 0) != last {
			t.Fatalf("segment %d flags %#x: FIN and PSH belong to the last only", i, tcp[13])
		}
		got = append(got, tcp[20:]...)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("payload not preserved")
	}
}
