package userspace

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Neighbour (ARP) cache tuning, in real time.
const (
	neighTTL   = 60 * time.Second // a learned MAC is re-asked for after this
	neighStale = 5 * neighTTL     // and forgotten after this
	arpRetry   = time.Second
	arpTries   = 3
	pendingMax = 8    // frames queued per unresolved neighbour
	neighMax   = 4096 // entries per interface
)

// neighbor is one IPv4 neighbour on an interface.
type neighbor struct {
	mac     [6]byte
	known   bool
	expires time.Time
	asked   time.Time
	tries   int
	pending [][]byte
}

// learn records ip at mac on p. On a LAN any host in the prefix is learned;
// on the WAN only neighbours already asked for, so a busy segment's ARP
// chatter does not fill the cache. It returns frames that were waiting.
func (p *port) learn(ip netip.Addr, mac [6]byte, now time.Time) [][]byte {
	e := p.neigh[ip]
	if e == nil {
		if p.side == wanSide || !p.addr.Contains(ip) || ip == p.addr.Addr() || len(p.neigh) >= neighMax {
			return nil
		}
		e = &neighbor{}
		p.neigh[ip] = e
	} else if e.known && e.mac == mac && now.Before(e.expires.Add(-neighTTL/2)) {
		return nil // fresh: the common case per packet
	}
	e.mac, e.known, e.expires, e.tries = mac, true, now.Add(neighTTL), 0
	q := e.pending
	e.pending = nil
	return q
}

// resolve returns ip's MAC on p. When it is unknown it queues a copy of
// frame (if not nil) and may ask; ask reports an ARP request is due.
func (p *port) resolve(ip netip.Addr, frame []byte, now time.Time) (mac [6]byte, ok, ask bool, reason string) {
	e := p.neigh[ip]
	if e == nil {
		if len(p.neigh) >= neighMax {
			return mac, false, false, dropARPQueue
		}
		e = &neighbor{}
		p.neigh[ip] = e
	}
	ask = now.Sub(e.asked) >= arpRetry && (!e.known || now.After(e.expires))
	if ask {
		e.asked = now
		if !e.known {
			e.tries++
		}
	}
	if e.known {
		return e.mac, true, ask, ""
	}
	if frame != nil {
		if len(e.pending) >= pendingMax {
			return mac, false, ask, dropARPQueue
		}
		e.pending = append(e.pending, append([]byte(nil), frame...))
	}
	return mac, false, ask, ""
}

// arpRequest builds a who-has for target from the port's address.
func (p *port) arpRequest(target netip.Addr) []byte {
	b := make([]byte, 42)
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], p.s.mac[:])
	binary.BigEndian.PutUint16(b[12:], etherTypeARP)
	a := b[ethLen:]
	binary.BigEndian.PutUint16(a[0:], 1) // Ethernet
	binary.BigEndian.PutUint16(a[2:], etherTypeIPv4)
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], 1) // request
	copy(a[8:14], p.s.mac[:])
	src := p.addr.Addr().As4()
	copy(a[14:18], src[:])
	dst := target.As4()
	copy(a[24:28], dst[:])
	return b
}

// parseARP returns the sender of an Ethernet/IPv4 ARP packet.
func parseARP(b []byte) (ip netip.Addr, mac [6]byte, ok bool) {
	if len(b) < ethLen+28 {
		return ip, mac, false
	}
	a := b[ethLen:]
	if be16(a) != 1 || be16(a[2:]) != etherTypeIPv4 || a[4] != 6 || a[5] != 4 {
		return ip, mac, false
	}
	copy(mac[:], a[8:14])
	ip = addrAt(a[14:])
	return ip, mac, ip.IsValid() && !ip.IsUnspecified()
}

// maintain retries ARP for unresolved neighbours, fails those out of tries
// and forgets stale ones. It returns requests to send and frames dropped.
func (p *port) maintain(now time.Time) (asks []netip.Addr, failed int, failedIPs []netip.Addr) {
	for ip, e := range p.neigh {
		switch {
		case !e.known && e.tries >= arpTries && now.Sub(e.asked) >= arpRetry:
			failed += len(e.pending)
			failedIPs = append(failedIPs, ip)
			delete(p.neigh, ip)
		case !e.known && now.Sub(e.asked) >= arpRetry:
			e.asked = now
			e.tries++
			asks = append(asks, ip)
		case e.known && now.After(e.expires.Add(neighStale)):
			delete(p.neigh, ip)
		}
	}
	return asks, failed, failedIPs
}
