package table

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// bytes decodes fuzz input; past the end it reads zeros.
type bytes struct {
	b []byte
	i int
}

func (r *bytes) next() byte {
	if r.i >= len(r.b) {
		r.i++
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *bytes) done() bool { return r.i >= len(r.b) }

func (r *bytes) pick(n int) int { return int(r.next()) % n }

// The small universe the driver draws from, so that flows collide.
var (
	fuzzHosts   = []string{"192.168.1.1", "192.168.1.2", "192.168.1.3", "192.168.1.4"}
	fuzzRemotes = []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"}
	fuzzPorts   = []uint16{1, 2, 3, 1024, 1025, 1026, 40000, 40001}
	fuzzWANs    = [][]netip.Addr{wan1, wan2, {netip.MustParseAddr("203.0.113.9")}}
	fuzzProtos  = []Proto{UDP, TCP, ICMP}
	fuzzFlags   = []uint8{SYN, SYN | ACK, ACK, FIN | ACK, RST, RST | ACK, 0, SYN | FIN}
	inputErrors = []string{ReasonBadProto, ReasonBadAddr, ReasonBadPort, ReasonBadFlags, ReasonWrongSide, ReasonNotOurs}
)

// driver plays a random sequence of operations decoded from bytes against a
// table and checks the invariants after each.
type driver struct {
	t   *Table
	r   *bytes
	now time.Duration
	ops int
}

func fuzzBehavior(r *bytes) Behavior {
	b0, b1, b2, b3 := r.next(), r.next(), r.next(), r.next()
	b := Behavior{
		Mapping:        Dependence(b0 % 3),
		Filtering:      Dependence(b0 / 3 % 3),
		Ports:          PortAssignment(b0 / 9 % 3),
		Parity:         b0/27%2 == 1,
		Pooling:        Pooling(b1 & 1),
		InboundRefresh: b1&2 != 0,
		Hairpin:        b1&4 != 0,
		InboundSynAck:  SynAckPolicy(b1 >> 3 & 1),
		MaxPerHost:     int(b1 >> 4 & 3),
		MaxTotal:       int(b3 % 8),
		UDPTimeout:     30 * sec,
		TCPEstablished: 300 * sec,
		TCPTransitory:  60 * sec,
		ICMPTimeout:    20 * sec,
	}
	if b2 < 128 {
		b.PortMin, b.PortMax = 1024, 1024+uint16(b2%16)
	}
	return b
}

func (d *driver) host() netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(fuzzHosts[d.r.pick(len(fuzzHosts))]), fuzzPorts[d.r.pick(len(fuzzPorts))])
}

func (d *driver) remote() netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(fuzzRemotes[d.r.pick(len(fuzzRemotes))]), fuzzPorts[d.r.pick(len(fuzzPorts))])
}

// external picks the external endpoint of a live mapping, or any of ours.
func (d *driver) external(p Proto) netip.AddrPort {
	ms := d.t.Mappings(d.now)
	if i := d.r.pick(len(ms) + 2); i < len(ms) {
		return ms[i].External
	}
	wan := d.t.WAN()
	return netip.AddrPortFrom(wan[d.r.pick(len(wan))], fuzzPorts[d.r.pick(len(fuzzPorts))])
}

func (d *driver) flow(src, dst netip.AddrPort) Flow {
	return Flow{Proto: fuzzProtos[d.r.pick(len(fuzzProtos))], Src: src, Dst: dst, Flags: fuzzFlags[d.r.pick(len(fuzzFlags))]}
}

func (d *driver) step() error {
	d.ops++
	t := d.t
	before := t.Len()
	switch op := d.r.pick(12); op {
	case 0, 1, 2: // outbound, sometimes hairpin
		dst := d.remote()
		if d.r.next()%4 == 0 {
			dst = d.external(UDP)
		}
		f := d.flow(d.host(), dst)
		v := t.Outbound(d.now, f)
		return d.checkOut(f, v, before)
	case 3, 4: // inbound
		f := d.flow(d.remote(), netip.AddrPort{})
		f.Dst = d.external(f.Proto)
		v := t.Inbound(d.now, f)
		return d.checkIn(f, v)
	case 5: // time passes
		d.now += time.Duration(d.r.next()) * sec / 4
		if d.r.next() == 255 {
			d.now += time.Hour
		}
	case 6: // Expire never removes a live mapping and removes every dead one
		live := t.Mappings(d.now)
		t.Expire(d.now)
		if after := t.Mappings(d.now); !slices.Equal(live, after) {
			return fmt.Errorf("Expire(%v) changed the live mappings:\n%v\n%v", d.now, live, after)
		}
		if t.Len() != len(live) {
			return fmt.Errorf("after Expire(%v): Len %d, %d live", d.now, t.Len(), len(live))
		}
	case 7: // port mapping
		pm := PortMapping{Proto: fuzzProtos[d.r.pick(2)], Internal: d.host(), Lifetime: time.Duration(d.r.next()%4) * 20 * sec}
		if d.r.next()%2 == 0 {
			pm.External = d.external(pm.Proto)
		}
		if d.r.next()%3 == 0 {
			pm.Remote = d.remote().Addr()
		}
		got, err := t.AddPortMapping(d.now, pm)
		if err == nil && !t.PortInUse(pm.Proto, got.External) {
			return fmt.Errorf("AddPortMapping(%+v) = %v but the port is free", pm, got.External)
		}
	case 8:
		_ = t.DeletePortMapping(fuzzProtos[d.r.pick(2)], d.external(UDP))
	case 9: // reboot or address change, rarely
		if d.r.next()%4 != 0 {
			break
		}
		if d.r.next()%2 == 0 {
			t.Reset()
		} else if err := t.SetWAN(fuzzWANs[d.r.pick(len(fuzzWANs))]); err != nil {
			return err
		}
		if t.Len() != 0 || len(t.Mappings(d.now)) != 0 {
			return fmt.Errorf("reset left %d mappings", t.Len())
		}
	case 10: // ICMP errors, either way
		inner := d.flow(d.external(UDP), d.remote())
		outer := Flow{Proto: ICMP, Src: d.remote(), Dst: inner.Src}
		if d.r.next()%2 == 0 {
			v, in := t.InboundICMPError(d.now, outer, inner)
			if v.Action == Forward && (in.Dst.Addr() != inner.Dst.Addr() || v.Out.Dst.Addr() != in.Src.Addr()) {
				return fmt.Errorf("InboundICMPError: %+v %+v", v, in)
			}
		} else {
			h := d.host()
			inner := d.flow(d.remote(), h)
			outer := Flow{Proto: ICMP, Src: h, Dst: inner.Src}
			v, in := t.OutboundICMPError(d.now, outer, inner)
			if v.Action == Forward && (t.wanIndex(v.Out.Src.Addr()) < 0 || in.Dst.Addr() != v.Out.Src.Addr()) {
				return fmt.Errorf("OutboundICMPError: %+v %+v", v, in)
			}
		}
		if t.Len() > before {
			return fmt.Errorf("an ICMP error created a mapping")
		}
	case 11: // anything at all, which must never panic; bad input changes nothing
		raw := func() netip.AddrPort {
			var a [4]byte
			for i := range a {
				a[i] = d.r.next()
			}
			return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(d.r.next()))
		}
		f := Flow{Proto: Proto(d.r.next()), Src: raw(), Dst: raw(), Flags: d.r.next()}
		snap := t.Mappings(d.now)
		stats := t.Stats()
		var v Verdict
		if d.r.next()%2 == 0 {
			v = t.Outbound(d.now, f)
		} else {
			v = t.Inbound(d.now, f)
		}
		if v.Action == Drop && slices.Contains(inputErrors, v.Reason) {
			if after := t.Mappings(d.now); !slices.Equal(snap, after) || t.Stats().Forwarded != stats.Forwarded {
				return fmt.Errorf("bad input %+v (%s) changed the table", f, v.Reason)
			}
		}
	}
	return t.check()
}

func (d *driver) checkOut(f Flow, v Verdict, before int) error {
	t := d.t
	toSelf := t.wanIndex(f.Dst.Addr()) >= 0
	switch v.Action {
	case Forward:
		if toSelf || t.wanIndex(v.Out.Src.Addr()) < 0 || v.Out.Dst.Addr() != f.Dst.Addr() {
			return fmt.Errorf("Outbound %+v forwarded as %+v", f, v.Out)
		}
		if m := t.byExternal[extKey{f.Proto, v.Out.Src}]; m == nil || m.internal != f.Src {
			return fmt.Errorf("Outbound %+v left from %v, which is not its mapping", f, v.Out.Src)
		}
	case Hairpin:
		if !toSelf || !t.b.Hairpin || t.wanIndex(v.Out.Src.Addr()) < 0 || t.wanIndex(v.Out.Dst.Addr()) >= 0 {
			return fmt.Errorf("Outbound %+v hairpinned as %+v", f, v.Out)
		}
	case Drop:
		if v.Reason == "" {
			return fmt.Errorf("Outbound %+v dropped without a reason", f)
		}
		if !toSelf && t.Len() > before {
			return fmt.Errorf("Outbound %+v dropped (%s) but created a mapping", f, v.Reason)
		}
	}
	return nil
}

func (d *driver) checkIn(f Flow, v Verdict) error {
	if v.Action == Hairpin {
		return fmt.Errorf("Inbound %+v hairpinned", f)
	}
	if v.Action == Forward {
		m := d.t.byExternal[extKey{f.Proto, f.Dst}]
		if m == nil || v.Out.Dst != m.internal || v.Out.Src.Addr() != f.Src.Addr() {
			return fmt.Errorf("Inbound %+v forwarded as %+v", f, v.Out)
		}
		if !m.static && d.t.b.Filtering == AddressPortDependent && f.Proto == UDP && m.peers.get(f.Src) == nil {
			return fmt.Errorf("APDF let %v in to %v though it was never sent to", f.Src, f.Dst)
		}
	}
	return nil
}

// play runs the whole input; it returns the first invariant broken.
func play(data []byte) error {
	r := &bytes{b: data}
	b := fuzzBehavior(r)
	tab, err := New(b, fuzzWANs[r.pick(2)], uint64(r.next()))
	if err != nil {
		return err
	}
	d := &driver{t: tab, r: r}
	for !r.done() && d.ops < 2000 {
		if err := d.step(); err != nil {
			return fmt.Errorf("op %d at %v (behaviour %+v): %w", d.ops, d.now, b, err)
		}
	}
	return nil
}

// FuzzTable drives random operation sequences against the invariants.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 0, 200, 0, 0, 1})
	f.Add([]byte{26, 4, 3, 9, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 3, 1, 5, 200, 6})
	f.Add([]byte{8, 15, 2, 2, 1, 0, 1, 1, 1, 1, 1, 3, 2, 2, 2, 2, 0, 5, 255, 6, 9, 0, 0})
	rng := rand.New(rand.NewPCG(7, 7))
	for range 8 {
		b := make([]byte, 300)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := play(data); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPropertyRandomOps runs the fuzz driver over many seeded random
// sequences: no two live mappings share an external endpoint per protocol
// (the index and port bitmap agree), Reset and SetWAN empty the table, Expire
// never removes a live (refreshed) mapping, bad input changes nothing.
func TestPropertyRandomOps(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		b := make([]byte, 50+rng.IntN(1500))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if err := play(b); err != nil {
			t.Fatalf("sequence %d: %v", i, err)
		}
	}
}
