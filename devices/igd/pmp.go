package igd

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/pcp"
)

// NAT-PMP and PCP on the gateway (RFC 6886, RFC 6887): one UDP socket on
// the LAN address, port 5351, dispatching on the version octet (0 NAT-PMP,
// 2 PCP, as RFC 6887 Appendix A lets one server do both). Mappings go
// through the same nat.PortMapper as UPnP's, and the Server's meta records
// which protocol made each (and a PCP mapping's nonce), so the three share
// one port space and one table.

// Lifetime clamps for NAT-PMP and PCP mappings (miniupnpd's min_lifetime and
// max_lifetime defaults); error lifetimes of RFC 6887 §7.4.
const (
	defaultMinLifetime = 120 * time.Second
	defaultMaxLifetime = 86400 * time.Second
	longErrorLifetime  = 1800
	shortErrorLifetime = 30
)

// PMPStats counts what the NAT-PMP/PCP server did with its datagrams.
type PMPStats struct {
	Dropped  uint64 // silently dropped: too short, a response, not from the LAN
	Errors   uint64 // answered with an error result code
	Mappings uint64 // mappings created or renewed
	Deleted  uint64 // mappings deleted on request
}

type pmpServer struct {
	s    *Server
	c    *net.UDPConn
	done chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	annStop  chan struct{} // stops the current announcement series
	dropped  atomic.Uint64
	errors   atomic.Uint64
	mappings atomic.Uint64
	deleted  atomic.Uint64
}

func startPMP(s *Server) (*pmpServer, error) {
	c, err := s.cfg.NS.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.cfg.LAN, pcp.ServerPort)))
	if err != nil {
		return nil, fmt.Errorf("igd: nat-pmp/pcp: %w", err)
	}
	if err := multicastFrom(c, s.cfg.LAN); err != nil {
		c.Close()
		return nil, fmt.Errorf("igd: nat-pmp/pcp multicast interface: %w", err)
	}
	p := &pmpServer{s: s, c: c, done: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	s.log.Info("igd.pmp.start", "natpmp", s.cfg.Options.NATPMP, "pcp", s.cfg.Options.PCP, "addr", c.LocalAddr().String())
	p.announce() // RFC 6886 §3.2.1, RFC 6887 §14.1.3: on boot
	return p, nil
}

// multicastFrom sends c's multicast out of the interface holding lan.
func multicastFrom(c *net.UDPConn, lan netip.Addr) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInet4Addr(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_IF, lan.As4())
	}); err != nil {
		return err
	}
	return serr
}

func (p *pmpServer) close() {
	close(p.done)
	p.c.Close()
	p.wg.Wait()
}

// PMPStats returns the NAT-PMP/PCP counters (zero without NAT-PMP and PCP).
func (s *Server) PMPStats() PMPStats {
	if s.pmp == nil {
		return PMPStats{}
	}
	p := s.pmp
	return PMPStats{Dropped: p.dropped.Load(), Errors: p.errors.Load(), Mappings: p.mappings.Load(), Deleted: p.deleted.Load()}
}

func (p *pmpServer) serve() {
	defer p.wg.Done()
	buf := make([]byte, pcp.MaxMessage+4) // room to see a message over the limit
	for {
		n, from, err := p.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-p.done:
				return
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		msg := buf[:n]
		o := p.s.cfg.Options
		switch {
		case !p.s.cfg.LANPrefix.Contains(from.Addr()):
			p.drop(from, "not from the LAN") // RFC 6886 §3.1: only LAN requests
		case n < 1:
			p.drop(from, "empty")
		case msg[0] == 0 && o.NATPMP:
			p.natpmp(msg, from)
		case msg[0] == 0: // PCP only: a NAT-PMP client learns to stop (RFC 6887 §9)
			p.pcpError(msg, from, pcp.UnsuppVersion, "NAT-PMP is off")
		case o.PCP:
			p.pcp(msg, from)
		case len(msg) >= 2 && msg[1]&0x80 == 0: // NAT-PMP only: RFC 6886 §3.5 / RFC 6887 Appendix A
			p.reply(pcp.PMPResponse{Op: msg[1], Result: pcp.PMPUnsuppVersion, Epoch: p.s.epoch()}.Append(nil), from)
			p.errors.Add(1)
			p.s.log.Info("igd.natpmp.error", "result", float64(pcp.PMPUnsuppVersion), "from", from.Addr().String())
		default:
			p.drop(from, "not a request")
		}
	}
}

func (p *pmpServer) drop(from netip.AddrPort, why string) {
	p.dropped.Add(1)
	p.s.log.Info("igd.pmp.dropped", "why", why, "from", from.String())
}

func (p *pmpServer) reply(b []byte, to netip.AddrPort) {
	if _, err := p.c.WriteToUDPAddrPort(b, to); err != nil {
		p.s.log.Info("igd.pmp.send_error", "to", to.String(), "err", err.Error())
	}
}

// announce multicasts the external address (NAT-PMP opcode 128) and a PCP
// ANNOUNCE to 224.0.0.1:5350 ten times, 250 ms apart doubling each time
// (RFC 6886 §3.2.1, RFC 6887 §14.1.3); a new series replaces a running one.
func (p *pmpServer) announce() {
	p.mu.Lock()
	if p.annStop != nil {
		close(p.annStop)
	}
	stop := make(chan struct{})
	p.annStop = stop
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		wait := 250 * time.Millisecond
		to := netip.AddrPortFrom(pcp.AllNodes, pcp.ClientPort)
		for i := 0; i < 10; i++ {
			epoch := p.s.epoch()
			if p.s.cfg.Options.NATPMP {
				p.reply(pcp.PMPResponse{Op: pcp.PMPOpAddr, Epoch: epoch, External: p.s.cfg.Mapper.ExternalAddr()}.Append(nil), to)
			}
			if p.s.cfg.Options.PCP {
				p.reply(pcp.Response{Opcode: pcp.OpAnnounce, Epoch: epoch}.Append(nil), to)
			}
			if i == 0 {
				p.s.log.Info("igd.pmp.announce", "external", p.s.cfg.Mapper.ExternalAddr().String(), "epoch", float64(epoch))
			}
			select {
			case <-p.done:
				return
			case <-stop:
				return
			case <-time.After(wait):
			}
			wait *= 2
		}
	}()
}

// clampLifetime bounds a requested lifetime in seconds (not 0: that deletes).
func clampLifetime(secs uint32) time.Duration {
	d := time.Duration(secs) * time.Second
	return min(max(d, defaultMinLifetime), defaultMaxLifetime)
}

// ownMapping is the live mapping of internal endpoint in for proto, if any.
func (s *Server) ownMapping(proto string, in netip.AddrPort) (entry, bool) {
	for _, e := range s.mappings() {
		if e.Proto == proto && e.Internal == in {
			return e, true
		}
	}
	return entry{}, false
}

// mapFor creates or renews a mapping of in for a NAT-PMP or PCP client:
// an existing mapping of the same internal endpoint is renewed on its
// port; a new one gets the suggested port (the internal port if none) or,
// when that is taken and exact is false, another. The errors are the NAT's.
func (s *Server) mapFor(owner string, nonce [12]byte, proto string, in netip.AddrPort, suggested uint16, remote netip.Addr,
	life time.Duration, exact bool) (nat.PortMapping, error) {
	pm := nat.PortMapping{Proto: proto, Internal: in, Remote: remote, Lifetime: life}
	if e, ok := s.ownMapping(proto, in); ok {
		pm.External = netip.AddrPortFrom(netip.Addr{}, e.External.Port())
	} else {
		if suggested == 0 {
			suggested = in.Port()
		}
		pm.External = netip.AddrPortFrom(netip.Addr{}, suggested)
	}
	got, err := s.cfg.Mapper.AddPortMapping(pm)
	if errors.Is(err, nat.ErrPortConflict) && !exact {
		pm.External = netip.AddrPortFrom(netip.Addr{}, 0)
		got, err = s.cfg.Mapper.AddPortMapping(pm)
	}
	if err != nil {
		return got, err
	}
	s.mu.Lock()
	s.meta[key{proto, got.External.Port()}] = meta{desc: owner, enabled: true, owner: owner, nonce: nonce}
	s.mu.Unlock()
	s.keep(got)
	return got, nil
}
