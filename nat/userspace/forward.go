package userspace

import (
	"errors"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat/table"
)

// readLoop receives batches on p, forwards them and flushes what they
// produced, until Close.
func (g *NAT) readLoop(p *port) {
	defer g.wg.Done()
	var big *rxBatch // own big buffers once a TSO sender shows up
	tx := make([]*txBatch, len(g.ports))
	for i, q := range g.ports {
		tx[i] = newTxBatch(q.s)
	}
	var pk packet
	for {
		var rb *rxBatch
		var n int
		var err error
		if big != nil {
			rb = big
			n, err = p.s.recv(big)
		} else {
			rb, n, err = p.s.recvPooled()
		}
		if err != nil {
			select {
			case <-g.stop:
				return
			default:
			}
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, unix.ENETDOWN) || errors.Is(err, unix.ENXIO) {
				continue // the link went down (a reboot fault); frames resume when it is up
			}
			g.log.Warn("nat.read_error", "node", g.link.Node, "iface", p.name, "err", err.Error())
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if p.side == wanSide {
			g.wanIn.Add(uint64(n))
		} else {
			g.lanIn.Add(uint64(n))
		}
		now := time.Now()
		g.mu.Lock()
		sim := g.simNow(now)
		grow := false
		for i := 0; i < n; i++ {
			f := rb.frame(i)
			grow = grow || f.trunc
			g.handle(p, f, now, sim, &pk, tx)
		}
		g.mu.Unlock()
		failed := 0
		for i, t := range tx {
			if t.n > 0 {
				sent := t.n
				f := t.flush()
				failed += f
				g.countOut(g.ports[i], sent-f)
			}
		}
		if failed > 0 {
			g.mu.Lock()
			g.dropN(dropTX, failed)
			g.mu.Unlock()
		}
		if big == nil {
			rxPool.Put(rb)
		}
		if grow && big == nil {
			big = newRxBatchSize(bigBatch, bigFrame) // a sender uses TSO: take its super-frames whole from now on
			g.log.Info("nat.gso_buffers", "node", g.link.Node, "iface", p.name)
		}
	}
}

// handle forwards one frame received on from; g.mu is held.
func (g *NAT) handle(from *port, f rxFrame, now time.Time, sim time.Duration, pk *packet, tx []*txBatch) {
	b := f.b
	if len(b) < ethLen {
		g.dropN(dropShort, 1)
		return
	}
	if be16(b[12:]) == etherTypeARP {
		if ip, mac, ok := parseARP(b); ok {
			g.flushPending(from, from.learn(ip, mac, now))
		}
		return // the kernel answers ARP for the gateway
	}
	if b[0]&1 != 0 || [6]byte(b[0:6]) != from.s.mac {
		return // broadcast, multicast or another host's frame: the kernel's, not ours
	}
	switch {
	case f.vlan:
		g.dropN(dropVLAN, 1)
		return
	case f.trunc:
		g.dropN(dropOversize, 1)
		return
	}
	if reason := parse(b, f.partial, pk); reason != "" {
		g.dropN(reason, 1)
		return
	}
	if from.side == wanSide {
		g.inbound(pk, now, sim, tx)
	} else {
		g.outbound(from, pk, now, sim, tx)
	}
}

// outbound forwards a frame from a LAN: to the WAN, or back to a LAN when
// the table hairpins it.
func (g *NAT) outbound(from *port, pk *packet, now time.Time, sim time.Duration, tx []*txBatch) {
	src, dst := pk.flow.Src.Addr(), pk.flow.Dst.Addr()
	if dst == from.addr.Addr() || from.addr.Contains(dst) || dst.IsMulticast() || dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return // for the gateway itself or on-link: the kernel's business
	}
	if !from.addr.Contains(src) {
		g.dropN(dropNotOurs, 1)
		return
	}
	g.flushPending(from, from.learn(src, [6]byte(pk.b[6:12]), now))
	if pk.b[ethLen+8] <= 1 {
		g.ttlExpired(from, pk, now, tx)
		return
	}
	var v table.Verdict
	if pk.isError() {
		var in table.Flow
		v, in = g.tab.OutboundICMPError(sim, pk.flow, pk.inFlow)
		if v.Action != table.Drop {
			pk.rewriteQuote(in)
		}
	} else {
		v = g.tab.Outbound(sim, pk.flow)
	}
	switch v.Action {
	case table.Forward:
		pk.rewrite(v.Out, v.Out.Src.Port())
		wan := g.ports[0]
		g.emit(wan, g.nextHop(v.Out.Dst.Addr()), pk.b, now, tx)
	case table.Hairpin:
		pk.rewrite(v.Out, v.Out.Dst.Port())
		if p := g.lanFor(v.Out.Dst.Addr()); p != nil {
			g.emit(p, v.Out.Dst.Addr(), pk.b, now, tx)
		} else {
			g.dropN(dropNoRoute, 1)
		}
	default:
		g.dropN(v.Reason, 1)
	}
}

// inbound forwards a frame from the WAN to the LAN host its mapping names.
func (g *NAT) inbound(pk *packet, now time.Time, sim time.Duration, tx []*txBatch) {
	if pk.flow.Dst.Addr() != g.wan.Addr() {
		g.dropN(dropNotOurs, 1)
		return
	}
	if pk.b[ethLen+8] <= 1 {
		g.ttlExpired(g.ports[0], pk, now, tx)
		return
	}
	var v table.Verdict
	if pk.isError() {
		var in table.Flow
		v, in = g.tab.InboundICMPError(sim, pk.flow, pk.inFlow)
		if v.Action != table.Drop {
			pk.rewriteQuote(in)
		}
	} else {
		v = g.tab.Inbound(sim, pk.flow)
	}
	if v.Action == table.Drop {
		g.dropN(v.Reason, 1)
		return
	}
	pk.rewrite(v.Out, v.Out.Dst.Port())
	p := g.lanFor(v.Out.Dst.Addr())
	if p == nil {
		g.dropN(dropNoRoute, 1)
		return
	}
	g.emit(p, v.Out.Dst.Addr(), pk.b, now, tx)
}

// nextHop is the WAN neighbour for dst: dst itself when on-link, else the router.
func (g *NAT) nextHop(dst netip.Addr) netip.Addr {
	if g.wan.Contains(dst) || !g.link.Router.IsValid() {
		return dst
	}
	return g.link.Router
}

// lanFor is the LAN whose prefix holds a.
func (g *NAT) lanFor(a netip.Addr) *port {
	for _, p := range g.ports[1:] {
		if p.addr.Contains(a) {
			return p
		}
	}
	return nil
}

// emit addresses b to next hop nh on p and queues it in p's batch, holds it
// for ARP, or hands it to p's shaper.
func (g *NAT) emit(p *port, nh netip.Addr, b []byte, now time.Time, tx []*txBatch) {
	if len(b)-ethLen > p.s.mtu {
		segs := segmentTCP(b, p.s.mtu)
		if segs == nil {
			g.dropN(dropOversize, 1)
			return
		}
		for _, s := range segs {
			g.emit(p, nh, s, now, tx)
		}
		return
	}
	copy(b[6:12], p.s.mac[:])
	mac, ok, ask, reason := p.resolve(nh, b, now)
	if ask {
		p.s.send(p.arpRequest(nh))
	}
	if reason != "" {
		g.dropN(reason, 1)
	}
	if !ok {
		return
	}
	copy(b[0:6], mac[:])
	if p.shaper != nil {
		send, reason := p.shaper.admit(b, now)
		if reason != "" {
			g.dropN(reason, 1)
		}
		if !send {
			return
		}
	}
	if failed := tx[p.id].add(b); failed > 0 {
		g.dropN(dropTX, failed)
	}
}

// flushPending sends frames that waited for a neighbour just learned on p.
func (g *NAT) flushPending(p *port, frames [][]byte) {
	if len(frames) == 0 {
		return
	}
	mac := p.neigh
	_ = mac
	now := time.Now()
	for _, b := range frames {
		e := p.neigh[addrAt(b[ethLen+16:])]
		if e == nil {
			continue
		}
		copy(b[0:6], e.mac[:])
		if p.shaper != nil {
			send, reason := p.shaper.admit(b, now)
			if reason != "" {
				g.dropN(reason, 1)
			}
			if !send {
				continue
			}
		}
		if err := p.s.send(b); err != nil {
			g.dropN(dropTX, 1)
			continue
		}
		g.countOut(p, 1)
	}
}
