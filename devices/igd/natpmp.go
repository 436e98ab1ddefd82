package igd

import (
	"errors"
	"net/netip"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/pcp"
)

// natpmp answers one NAT-PMP request (RFC 6886 §3).
func (p *pmpServer) natpmp(msg []byte, from netip.AddrPort) {
	s := p.s
	req, err := pcp.ParsePMPRequest(msg)
	resp := pcp.PMPResponse{Op: req.Op, Epoch: s.epoch(), InternalPort: req.InternalPort}
	switch {
	case errors.Is(err, pcp.ErrPMPShort):
		p.drop(from, err.Error())
		return
	case errors.Is(err, pcp.ErrPMPVersion):
		resp.Result = pcp.PMPUnsuppVersion
	case errors.Is(err, pcp.ErrPMPOpcode):
		resp.Result = pcp.PMPUnsuppOpcode
	case req.Op == pcp.PMPOpAddr:
		resp.External = s.cfg.Mapper.ExternalAddr()
		if !resp.External.IsValid() {
			resp.Result = pcp.PMPNetworkFailure
		}
	case req.Lifetime == 0:
		p.pmpDelete(req, from)
	default:
		proto := "udp"
		if req.Op == pcp.PMPOpMapTCP {
			proto = "tcp"
		}
		if req.InternalPort == 0 {
			resp.Result = pcp.PMPNotAuthorized // "all ports" is not a mapping we give
			break
		}
		got, err := s.mapFor("natpmp", [12]byte{}, proto, netip.AddrPortFrom(from.Addr(), req.InternalPort), req.ExternalPort,
			netip.Addr{}, clampLifetime(req.Lifetime), false)
		switch {
		case errors.Is(err, nat.ErrPortExhausted), errors.Is(err, nat.ErrPortConflict):
			resp.Result = pcp.PMPOutOfResources
		case err != nil:
			s.log.Warn("igd.mapper_error", "err", err.Error())
			resp.Result = pcp.PMPNetworkFailure
		default:
			resp.ExternalPort, resp.Lifetime = got.External.Port(), uint32(got.Lifetime.Seconds())
			p.mappings.Add(1)
			s.log.Info("igd.natpmp.mapped", "proto", proto, "external", got.External.String(), "internal", got.Internal.String(),
				"lifetime", got.Lifetime.Seconds())
		}
	}
	if resp.Result != pcp.PMPSuccess {
		p.errors.Add(1)
		s.log.Info("igd.natpmp.error", "op", float64(req.Op), "result", float64(resp.Result), "from", from.Addr().String())
	}
	p.reply(resp.Append(nil), from)
}

// pmpDelete removes the client's mapping of an internal port, or with
// internal port 0 all its mappings of the protocol (RFC 6886 §3.4). A
// mapping another host made is not the client's to delete; deleting what
// does not exist succeeds.
func (p *pmpServer) pmpDelete(req pcp.PMPRequest, from netip.AddrPort) {
	proto := "udp"
	if req.Op == pcp.PMPOpMapTCP {
		proto = "tcp"
	}
	for _, e := range p.s.mappings() {
		if e.Proto != proto || e.Internal.Addr() != from.Addr() || (req.InternalPort != 0 && e.Internal.Port() != req.InternalPort) {
			continue
		}
		if err := p.s.cfg.Mapper.DeletePortMapping(proto, e.External.Port()); err == nil {
			p.s.forget(proto, e.External.Port())
			p.deleted.Add(1)
			p.s.log.Info("igd.natpmp.deleted", "proto", proto, "external_port", float64(e.External.Port()))
		}
	}
}
