package igd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/boxlab/boxlab/nat/pcp"
	"github.com/boxlab/boxlab/sim/ns"
)

// PMPClient maps ports with NAT-PMP (RFC 6886) or PCP (RFC 6887) through
// the default router, for device roles: requests go to the gateway's port
// 5351 from an ephemeral port and are retransmitted 250 ms apart, doubling
// (RFC 6886 §3.1, RFC 6887 §8.1.1), until Timeout. It tracks the server's
// epoch to notice a gateway that lost its mappings. It speaks to any
// server, ours or a real daemon's.
type PMPClient struct {
	NS       *ns.NS
	Server   netip.Addr // the gateway; DefaultGateway finds it
	Client   netip.Addr // our address, for PCP's client address field
	PCP      bool       // PCP; false = NAT-PMP
	Nonce    [12]byte   // PCP mapping nonce; keep it across renewals
	Timeout  time.Duration
	Now      func() time.Duration // the client clock the epoch check runs on
	External netip.Addr           // the external address last learnt

	epoch pcp.Epoch
}

// Errors of PMPClient.
var (
	// ErrNoServer: nothing answered, or the server does not speak this
	// protocol (UNSUPP_VERSION): try another.
	ErrNoServer = errors.New("no NAT-PMP/PCP server answered")
)

// ResultError is a server's refusal: a NAT-PMP or PCP result code.
type ResultError struct {
	PCP  bool
	Code int
}

func (e *ResultError) Error() string {
	if e.PCP {
		return "pcp: " + pcp.Result(e.Code).String()
	}
	return fmt.Sprintf("nat-pmp: result %d", e.Code)
}

// DefaultGateway is the IPv4 default router of namespace n: the PCP server
// RFC 6887 §8.1 says a client uses when none is configured.
func DefaultGateway(n *ns.NS) (netip.Addr, error) {
	h, err := n.Netlink()
	if err != nil {
		return netip.Addr{}, err
	}
	defer h.Close()
	rs, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("routes: %w", err)
	}
	for _, r := range rs {
		if (r.Dst == nil || r.Dst.IP.IsUnspecified()) && r.Gw != nil {
			if a, ok := netip.AddrFromSlice(r.Gw.To4()); ok {
				return a, nil
			}
		}
	}
	return netip.Addr{}, errors.New("no IPv4 default route")
}

// exchange sends req and returns the first answer accepted by ok.
func (c *PMPClient) exchange(ctx context.Context, req []byte, ok func([]byte) bool) ([]byte, error) {
	s, err := c.NS.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	to := netip.AddrPortFrom(c.Server, pcp.ServerPort)
	deadline := time.Now().Add(c.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	wait := 250 * time.Millisecond
	buf := make([]byte, pcp.MaxMessage)
	for time.Now().Before(deadline) {
		if _, err := s.WriteToUDPAddrPort(req, to); err != nil {
			return nil, err
		}
		rd := time.Now().Add(wait)
		if rd.After(deadline) {
			rd = deadline
		}
		s.SetReadDeadline(rd)
		for {
			n, from, err := s.ReadFromUDPAddrPort(buf)
			if err != nil {
				break
			}
			if from.Addr().Unmap() == c.Server && from.Port() == pcp.ServerPort && ok(buf[:n]) {
				return buf[:n], nil
			}
		}
		wait *= 2
	}
	return nil, ErrNoServer
}

// Map asks for a mapping of internal (suggesting external port ext) for
// lifetime, and returns the external endpoint, the lifetime granted, and
// whether the server's epoch says it lost state since the last answer.
// Lifetime 0 deletes.
func (c *PMPClient) Map(ctx context.Context, proto string, internal netip.AddrPort, ext uint16, lifetime time.Duration) (netip.AddrPort, time.Duration, bool, error) {
	if c.PCP {
		return c.mapPCP(ctx, proto, internal, ext, lifetime)
	}
	return c.mapPMP(ctx, proto, internal, ext, lifetime)
}

func (c *PMPClient) now() time.Duration {
	if c.Now == nil {
		return time.Duration(time.Now().UnixNano())
	}
	return c.Now()
}

func (c *PMPClient) mapPMP(ctx context.Context, proto string, internal netip.AddrPort, ext uint16, lifetime time.Duration) (netip.AddrPort, time.Duration, bool, error) {
	// The external address first (RFC 6886 §3.2): the map response does not carry it.
	b, err := c.exchange(ctx, pcp.PMPRequest{Op: pcp.PMPOpAddr}.Append(nil), func(b []byte) bool {
		r, err := pcp.ParsePMPResponse(b)
		return (err == nil && r.Op == pcp.PMPOpAddr) || (len(b) >= 2 && b[0] == pcp.Version) // a PCP-only server's UNSUPP_VERSION
	})
	if err != nil {
		return netip.AddrPort{}, 0, false, err
	}
	if b[0] == pcp.Version {
		return netip.AddrPort{}, 0, false, fmt.Errorf("%w: the server speaks PCP only", ErrNoServer)
	}
	ar, _ := pcp.ParsePMPResponse(b)
	if ar.Result == pcp.PMPUnsuppVersion {
		return netip.AddrPort{}, 0, false, ErrNoServer
	}
	if ar.Result != pcp.PMPSuccess {
		return netip.AddrPort{}, 0, false, &ResultError{Code: int(ar.Result)}
	}
	lost := c.epoch.ObservePMP(ar.Epoch, c.now())
	c.External = ar.External
	op := pcp.PMPProto(proto)
	req := pcp.PMPRequest{Op: op, InternalPort: internal.Port(), ExternalPort: ext, Lifetime: uint32(lifetime / time.Second)}
	b, err = c.exchange(ctx, req.Append(nil), func(b []byte) bool {
		r, err := pcp.ParsePMPResponse(b)
		return err == nil && r.Op == op && (r.InternalPort == internal.Port() || r.Result != pcp.PMPSuccess)
	})
	if err != nil {
		return netip.AddrPort{}, 0, lost, err
	}
	mr, _ := pcp.ParsePMPResponse(b)
	if mr.Result != pcp.PMPSuccess {
		return netip.AddrPort{}, 0, lost, &ResultError{Code: int(mr.Result)}
	}
	lost = c.epoch.ObservePMP(mr.Epoch, c.now()) || lost
	return netip.AddrPortFrom(c.External, mr.ExternalPort), time.Duration(mr.Lifetime) * time.Second, lost, nil
}

func (c *PMPClient) mapPCP(ctx context.Context, proto string, internal netip.AddrPort, ext uint16, lifetime time.Duration) (netip.AddrPort, time.Duration, bool, error) {
	req := pcp.Request{Opcode: pcp.OpMap, Lifetime: uint32(lifetime / time.Second), Client: c.Client, Nonce: c.Nonce,
		Protocol: pcp.ProtoNumber(proto), InternalPort: internal.Port(), ExternalPort: ext, ExternalAddr: pcp.AnyV4}
	if c.External.IsValid() {
		req.ExternalAddr = c.External // §11.2: suggest what we had
	}
	b, err := c.exchange(ctx, req.Append(nil), func(b []byte) bool {
		if len(b) >= 4 && b[0] == 0 && b[3] == pcp.PMPUnsuppVersion { // a NAT-PMP-only server (RFC 6887 Appendix A)
			return true
		}
		r, err := pcp.ParseResponse(b)
		return err == nil && (r.Result == pcp.UnsuppVersion || (r.Opcode == pcp.OpMap && r.Nonce == c.Nonce))
	})
	if err != nil {
		return netip.AddrPort{}, 0, false, err
	}
	if b[0] == 0 {
		return netip.AddrPort{}, 0, false, fmt.Errorf("%w: the server speaks NAT-PMP only", ErrNoServer)
	}
	r, _ := pcp.ParseResponse(b)
	if r.Result == pcp.UnsuppVersion {
		return netip.AddrPort{}, 0, false, ErrNoServer
	}
	lost := c.epoch.ObservePCP(r.Epoch, c.now())
	if r.Result != pcp.Success {
		return netip.AddrPort{}, 0, lost, &ResultError{PCP: true, Code: int(r.Result)}
	}
	c.External = r.ExternalAddr
	return netip.AddrPortFrom(r.ExternalAddr, r.ExternalPort), time.Duration(r.Lifetime) * time.Second, lost, nil
}

// Announcement is what a client hears on 224.0.0.1:5350 from its gateway.
type Announcement struct {
	PCP      bool
	Epoch    uint32
	External netip.Addr // NAT-PMP only
}

// ParseAnnouncement reads an unsolicited NAT-PMP external-address response
// or PCP ANNOUNCE response.
func ParseAnnouncement(b []byte) (Announcement, bool) {
	if len(b) >= 2 && b[0] == 0 {
		r, err := pcp.ParsePMPResponse(b)
		if err != nil || r.Op != pcp.PMPOpAddr || r.Result != pcp.PMPSuccess {
			return Announcement{}, false
		}
		return Announcement{Epoch: r.Epoch, External: r.External}, true
	}
	r, err := pcp.ParseResponse(b)
	if err != nil || r.Opcode != pcp.OpAnnounce || r.Result != pcp.Success {
		return Announcement{}, false
	}
	return Announcement{PCP: true, Epoch: r.Epoch}, true
}

// Heard checks an announcement against the epoch seen so far and reports
// whether the gateway lost state or changed its external address, so the
// caller should map again.
func (c *PMPClient) Heard(a Announcement) bool {
	var lost bool
	if a.PCP {
		lost = c.epoch.ObservePCP(a.Epoch, c.now())
	} else {
		lost = c.epoch.ObservePMP(a.Epoch, c.now())
	}
	if a.External.IsValid() && c.External.IsValid() && a.External != c.External {
		lost = true
	}
	return lost
}
