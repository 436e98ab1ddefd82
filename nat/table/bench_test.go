package table

import (
	"net/netip"
	"testing"
	"time"
)

// benchWAN gives BenchmarkOutboundNew room for 50k mappings per address.
var benchWAN = []netip.Addr{netip.MustParseAddr(w1), netip.MustParseAddr(w2)}

func BenchmarkOutboundExisting(b *testing.B) {
	tab := newTable(b, portRest, wan1)
	f := udp(h1+":40000", r1+":3478")
	tab.Outbound(0, f)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if v := tab.Outbound(time.Duration(i), f); v.Action != Forward {
			b.Fatal(v.Reason)
		}
	}
}

// BenchmarkOutboundNew creates fresh mappings until 50k, then starts over on
// a reset table.
func BenchmarkOutboundNew(b *testing.B) {
	const most = 50000
	tab := newTable(b, with(portRest, func(b *Behavior) { b.Ports = Random; b.Pooling = Arbitrary }), benchWAN)
	flows := make([]Flow, most)
	for i := range flows {
		flows[i] = Flow{Proto: UDP, Src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(1000+i%7)), Dst: ap(r1 + ":3478")}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == most {
			b.StopTimer()
			tab.Reset()
			i = 0
			b.StartTimer()
		}
		if v := tab.Outbound(0, flows[i]); v.Action != Forward {
			b.Fatal(v.Reason)
		}
		i++
	}
}

func BenchmarkInbound(b *testing.B) {
	tab := newTable(b, portRest, wan1)
	tab.Outbound(0, udp(h1+":40000", r1+":3478"))
	f := udp(r1+":3478", w1+":40000")
	b.ReportAllocs()
	for b.Loop() {
		if v := tab.Inbound(0, f); v.Action != Forward {
			b.Fatal(v.Reason)
		}
	}
}

// BenchmarkExpire/due is the cost per expired mapping, in batches of up to
// 50k mappings whose timers (some refreshed, so rescheduled once) come due
// together; BenchmarkExpire/idle is a call with nothing due in a table of 50k.
func BenchmarkExpire(b *testing.B) {
	b.Run("due", func(b *testing.B) {
		tab := newTable(b, with(portRest, func(b *Behavior) { b.Ports = Sequential }), benchWAN)
		now := time.Duration(0)
		fill := func(n int) {
			for i := range n {
				f := Flow{Proto: UDP, Src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1000), Dst: ap(r1 + ":3478")}
				tab.Outbound(now, f)
				if i%4 == 0 {
					tab.Outbound(now+time.Second, f)
				}
			}
		}
		b.ReportAllocs()
		left := b.N
		b.ResetTimer()
		for left > 0 {
			n := left
			if n > 50000 {
				n = 50000
			}
			b.StopTimer()
			fill(n)
			now += time.Hour
			b.StartTimer()
			if got := tab.Expire(now); got != n {
				b.Fatalf("expired %d; want %d", got, n)
			}
			left -= n
		}
	})
	b.Run("idle", func(b *testing.B) {
		tab := newTable(b, portRest, benchWAN)
		for i := range 50000 {
			tab.Outbound(0, Flow{Proto: UDP, Src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1000), Dst: ap(r1 + ":3478")})
		}
		b.ReportAllocs()
		for b.Loop() {
			tab.Expire(time.Minute)
		}
	})
}
