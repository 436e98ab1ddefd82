package igd

import (
	"errors"
	"net/netip"
	"time"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/pcp"
)

// pcpError answers msg with result res (RFC 6887 §7.2, §8.3).
func (p *pmpServer) pcpError(msg []byte, from netip.AddrPort, res pcp.Result, why string) {
	life := uint32(shortErrorLifetime)
	if res.LongTermError() {
		life = longErrorLifetime
	}
	p.errors.Add(1)
	p.s.log.Info("igd.pcp.error", "result", res.String(), "code", float64(res), "why", why, "from", from.Addr().String())
	p.reply(pcp.ErrorResponse(msg, res, life, p.s.epoch()), from)
}

// pcp answers one PCP request: ANNOUNCE and MAP; PEER is UNSUPP_OPCODE
// (miniupnpd without --pcp-peer): the NAT does not let us pin the dynamic
// mapping PEER describes.
func (p *pmpServer) pcp(msg []byte, from netip.AddrPort) {
	req, perr := pcp.ParseRequest(msg)
	switch {
	case perr != nil && perr.Drop:
		p.drop(from, perr.Msg)
		return
	case perr != nil:
		p.pcpError(msg, from, perr.Result, perr.Msg)
		return
	case req.Client != from.Addr(): // §8.3: a NAT between client and server
		p.pcpError(msg, from, pcp.AddressMismatch, "client address field "+req.Client.String())
		return
	}
	switch req.Opcode {
	case pcp.OpAnnounce: // §14.1.1: a client asks for the epoch
		p.reply(pcp.Response{Opcode: pcp.OpAnnounce, Epoch: p.s.epoch()}.Append(nil), from)
	case pcp.OpMap:
		resp, res, why := p.pcpMap(req, from)
		if res != pcp.Success {
			p.pcpError(msg, from, res, why)
			return
		}
		p.reply(resp.Append(nil), from)
	default:
		p.pcpError(msg, from, pcp.UnsuppOpcode, req.Opcode.String()+" not offered")
	}
}

// pcpMap runs a MAP request (RFC 6887 §11.3): create, renew or delete.
func (p *pmpServer) pcpMap(req pcp.Request, from netip.AddrPort) (pcp.Response, pcp.Result, string) {
	s := p.s
	resp := pcp.Response{Opcode: pcp.OpMap, Epoch: s.epoch(), Nonce: req.Nonce, Protocol: req.Protocol,
		InternalPort: req.InternalPort, ExternalAddr: s.cfg.Mapper.ExternalAddr()}
	host := from.Addr()
	var echo []pcp.Option
	if o, ok := pcp.Find(req.Options, pcp.OptThirdParty); ok { // §13.1
		if !s.cfg.Options.PCPThirdParty {
			return resp, pcp.NotAuthorized, "THIRD_PARTY not allowed"
		}
		if host = o.ThirdParty(); !s.cfg.LANPrefix.Contains(host) {
			return resp, pcp.NotAuthorized, "THIRD_PARTY host " + host.String() + " is not on the LAN"
		}
		echo = append(echo, o)
	}
	_, preferFailure := pcp.Find(req.Options, pcp.OptPreferFailure)
	if preferFailure {
		echo = append(echo, pcp.PreferFailureOption())
	}
	var remote netip.Addr
	for _, o := range req.Options { // §13.3: the last FILTER wins; we filter on one host
		if o.Code != pcp.OptFilter {
			continue
		}
		f, _ := o.Filter()
		switch {
		case !f.Prefix.IsValid():
			remote = netip.Addr{}
		case f.Prefix.Addr().Is4() && f.Prefix.IsSingleIP() && f.Port == 0:
			remote = f.Prefix.Addr()
		default:
			return resp, pcp.UnsuppOption, "FILTER on a prefix or a port: only a single remote host is supported"
		}
		echo = append(echo, o)
	}
	resp.Options = echo
	var proto string
	switch req.Protocol {
	case pcp.ProtoTCP:
		proto = "tcp"
	case pcp.ProtoUDP:
		proto = "udp"
	case 0:
		if req.Lifetime != 0 {
			return resp, pcp.UnsuppProtocol, "a mapping for all protocols"
		}
	default:
		return resp, pcp.UnsuppProtocol, "protocol not TCP or UDP"
	}
	if req.Lifetime == 0 {
		return p.pcpDelete(req, resp, host, proto)
	}
	if req.InternalPort == 0 {
		return resp, pcp.NotAuthorized, "a mapping of all ports"
	}
	wan := s.cfg.Mapper.ExternalAddr()
	if !pcp.IsAny(req.ExternalAddr) && req.ExternalAddr != wan && preferFailure {
		return resp, pcp.CannotProvideExternal, "suggested external address " + req.ExternalAddr.String()
	}
	in := netip.AddrPortFrom(host, req.InternalPort)
	if e, ok := s.ownMapping(proto, in); ok && e.owner == "pcp" && e.nonce != req.Nonce { // §11.3: only its creator renews
		return resp, pcp.NotAuthorized, "nonce does not match the mapping's"
	}
	got, err := s.mapFor("pcp", req.Nonce, proto, in, req.ExternalPort, remote, clampLifetime(req.Lifetime), preferFailure)
	switch {
	case errors.Is(err, nat.ErrPortConflict):
		return resp, pcp.CannotProvideExternal, "suggested external port taken (PREFER_FAILURE)"
	case errors.Is(err, nat.ErrPortExhausted):
		return resp, pcp.NoResources, err.Error()
	case errors.Is(err, nat.ErrBadPortMapping):
		return resp, pcp.MalformedRequest, err.Error()
	case err != nil:
		s.log.Warn("igd.mapper_error", "err", err.Error())
		return resp, pcp.NetworkFailure, err.Error()
	}
	if preferFailure && req.ExternalPort != 0 && got.External.Port() != req.ExternalPort {
		// a renewal kept its port, which is not the one suggested
		return resp, pcp.CannotProvideExternal, "the mapping holds another external port"
	}
	resp.ExternalPort, resp.ExternalAddr = got.External.Port(), got.External.Addr()
	resp.Lifetime = uint32(got.Lifetime / time.Second)
	p.mappings.Add(1)
	s.log.Info("igd.pcp.mapped", "proto", proto, "external", got.External.String(), "internal", got.Internal.String(),
		"lifetime", got.Lifetime.Seconds())
	return resp, pcp.Success, ""
}

// pcpDelete removes host's mapping of (proto, internal port), or with
// protocol 0 or internal port 0 all its PCP mappings of that scope
// (§11.3, §15): a mapping another PCP client made (another nonce) is
// NOT_AUTHORIZED; none at all is success.
func (p *pmpServer) pcpDelete(req pcp.Request, resp pcp.Response, host netip.Addr, proto string) (pcp.Response, pcp.Result, string) {
	s := p.s
	for _, e := range s.mappings() {
		if e.Internal.Addr() != host || (proto != "" && e.Proto != proto) || (req.InternalPort != 0 && e.Internal.Port() != req.InternalPort) {
			continue
		}
		if e.owner == "pcp" && e.nonce != req.Nonce {
			if req.InternalPort != 0 {
				return resp, pcp.NotAuthorized, "nonce does not match the mapping's"
			}
			continue
		}
		if req.InternalPort == 0 && e.owner != "pcp" {
			continue
		}
		if err := s.cfg.Mapper.DeletePortMapping(e.Proto, e.External.Port()); err == nil {
			s.forget(e.Proto, e.External.Port())
			p.deleted.Add(1)
			s.log.Info("igd.pcp.deleted", "proto", e.Proto, "external_port", float64(e.External.Port()))
		}
	}
	resp.ExternalAddr = netip.Addr{}
	return resp, pcp.Success, ""
}
