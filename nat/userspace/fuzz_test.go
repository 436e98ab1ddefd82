package userspace

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/boxlab/boxlab/nat/table"
)

// FuzzParse feeds arbitrary frames to the parser and, when one parses, to the
// ICMP Time Exceeded builder and the rewriters: nothing may panic, and a built
// error or a rewritten frame must parse again with correct checksums.
func FuzzParse(f *testing.F) {
	for _, p := range []layers.IPProtocol{layers.IPProtocolUDP, layers.IPProtocolTCP, layers.IPProtocolICMPv4} {
		f.Add(frame(f, lanHost, server, 64, p, []byte("seed")), false)
		f.Add(frame(f, lanHost, server, 2, p, nil), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, partial bool) {
		var p packet
		if parse(b, partial, &p) != "" {
			return
		}
		if e := timeExceeded(&p, netip.MustParseAddr("192.168.1.1"), [6]byte{2}); e != nil {
			var q packet
			if r := parse(e, false, &q); r != "" || q.icmp != icmpTimeExceed || q.inFlow != (table.Flow{Proto: p.flow.Proto, Src: p.flow.Src, Dst: p.flow.Dst}) {
				t.Fatalf("Time Exceeded for a parsed frame: %q, type %d, quoted %v want %v", r, q.icmp, q.inFlow, p.flow)
			}
		}
		out := table.Flow{Proto: p.flow.Proto, Src: wanEnd, Dst: netip.AddrPortFrom(server.Addr(), 9)}
		if p.isError() {
			p.rewriteQuote(table.Flow{Proto: p.inFlow.Proto, Src: lanHost, Dst: server})
		}
		p.rewrite(out, 7)
		var q packet
		if r := parse(p.b, false, &q); r != "" && r != dropL4Checksum {
			t.Fatalf("rewritten frame does not parse: %s", r)
		} else if r == dropL4Checksum && !partial && p.flow.Proto != table.ICMP {
			t.Fatalf("a complete checksum went bad in the rewrite")
		}
	})
}
