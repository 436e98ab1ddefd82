package userspace

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/boxlab/boxlab/nat/table"
)

func TestTimeExceeded(t *testing.T) {
	gwLAN := netip.MustParseAddr("192.168.1.1")
	gwMAC := [6]byte{2, 0, 0, 0, 0, 0xfe}
	big := make([]byte, 1400)
	for _, tc := range []struct {
		name      string
		proto     layers.IPProtocol
		payload   []byte
		wantQuote int // bytes of the dropped IPv4 packet quoted
	}{
		{"RFC 1812 §5.3.1: UDP, the whole datagram quoted", layers.IPProtocolUDP, []byte("probe"), 20 + 8 + 5},
		{"RFC 1812 §5.3.1: TCP SYN", layers.IPProtocolTCP, nil, 20 + 24},
		{"RFC 1812 §5.3.1: ICMP echo (traceroute -I)", layers.IPProtocolICMPv4, []byte("ping"), 20 + 8 + 4},
		{"RFC 1812 §4.3.2.3: quote cut so the error fits in 576 bytes", layers.IPProtocolUDP, big, 576 - 28},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := frame(t, lanHost, server, 1, tc.proto, tc.payload)
			var p packet
			if r := parse(in, false, &p); r != "" {
				t.Fatalf("input does not parse: %s", r)
			}
			b := timeExceeded(&p, gwLAN, gwMAC)
			if b == nil {
				t.Fatal("no ICMP error built")
			}
			if [6]byte(b[0:6]) != [6]byte(macA) || [6]byte(b[6:12]) != gwMAC {
				t.Errorf("Ethernet %x -> %x, want from the gateway %x to the sender %x", b[6:12], b[0:6], gwMAC, macA)
			}
			var e packet
			if r := parse(b, false, &e); r != "" {
				t.Fatalf("the ICMP error does not parse (checksums, lengths): %s", r)
			}
			if e.icmp != icmpTimeExceed || b[ethLen+ipLen+1] != 0 {
				t.Errorf("type %d code %d, want 11 code 0", e.icmp, b[ethLen+ipLen+1])
			}
			if e.flow.Src.Addr() != gwLAN || e.flow.Dst.Addr() != lanHost.Addr() {
				t.Errorf("sent %v -> %v, want %v -> %v", e.flow.Src.Addr(), e.flow.Dst.Addr(), gwLAN, lanHost.Addr())
			}
			if b[ethLen+8] != icmpErrTTL {
				t.Errorf("TTL %d", b[ethLen+8])
			}
			if want := (table.Flow{Proto: p.flow.Proto, Src: p.flow.Src, Dst: p.flow.Dst}); e.inFlow != want {
				t.Errorf("quoted flow %v, want the dropped packet's %v", e.inFlow, p.flow)
			}
			if got := len(b) - ethLen - ipLen - 8; got != tc.wantQuote {
				t.Errorf("quoted %d bytes, want %d", got, tc.wantQuote)
			}
			if len(b)-ethLen > icmpErrMaxLen {
				t.Errorf("ICMP error of %d bytes of IPv4, more than 576", len(b)-ethLen)
			}
		})
	}
}

func TestTimeExceededNotSent(t *testing.T) {
	gwLAN := netip.MustParseAddr("192.168.1.1")
	quoted := frame(t, wanEnd, server, 64, layers.IPProtocolUDP, nil)
	icmpErr := frame(t, server, wanEnd, 1, layers.IPProtocolICMPv4, nil)
	// Turn the echo into a Time Exceeded quoting a UDP datagram.
	icmpErr = append(icmpErr[:ethLen+ipLen+8], quoted[ethLen:ethLen+ipLen+8]...)
	ip := icmpErr[ethLen:]
	ip[2], ip[3] = byte(len(ip)>>8), byte(len(ip))
	ip[10], ip[11] = 0, 0
	pp := checksum(ip[:ipLen], 0)
	ip[10], ip[11] = byte(pp>>8), byte(pp)
	l4 := ip[ipLen:]
	l4[0], l4[1], l4[2], l4[3], l4[4], l4[5], l4[6], l4[7] = icmpTimeExceed, 0, 0, 0, 0, 0, 0, 0
	c := checksum(l4, 0)
	l4[2], l4[3] = byte(c>>8), byte(c)
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"RFC 1122 §3.2.2: not about an ICMP error", icmpErr},
		{"RFC 1812 §4.3.2.7: not to an unspecified source", frame(t, netip.MustParseAddrPort("0.0.0.0:68"), server, 1, layers.IPProtocolUDP, nil)},
		{"RFC 1812 §4.3.2.7: not to a multicast source", frame(t, netip.MustParseAddrPort("224.0.0.9:520"), server, 1, layers.IPProtocolUDP, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p packet
			if r := parse(tc.b, false, &p); r != "" {
				t.Fatalf("input does not parse: %s", r)
			}
			if b := timeExceeded(&p, gwLAN, [6]byte{}); b != nil {
				t.Errorf("built an ICMP error: %x", b)
			}
		})
	}
}

func TestErrLimiter(t *testing.T) {
	var l errLimiter
	t0 := time.Unix(1000, 0)
	for i := 0; i < icmpErrBurst; i++ {
		if !l.allow(t0) {
			t.Fatalf("refused error %d of the burst", i+1)
		}
	}
	if l.allow(t0) {
		t.Error("allowed more than the burst at once")
	}
	if !l.allow(t0.Add(time.Second / icmpErrRate)) {
		t.Error("no token after one period")
	}
	if l.allow(t0.Add(time.Second / icmpErrRate)) {
		t.Error("two tokens after one period")
	}
	if n := countAllowed(&l, t0.Add(time.Hour)); n != icmpErrBurst {
		t.Errorf("after an hour %d allowed at once, want the burst %d", n, icmpErrBurst)
	}
}

func countAllowed(l *errLimiter, now time.Time) int {
	n := 0
	for l.allow(now) {
		n++
	}
	return n
}
