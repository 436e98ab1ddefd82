package igd

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/boxlab/boxlab/nat"
)

// maxLeaseV2 is the IGD:2 maximum lease: 0 or more becomes this (WANIPConnection:2 §2.3.16).
const maxLeaseV2 = 604800

// ipConnAction runs one WANIPConnection action for the host at from.
func (s *Server) ipConnAction(r Request, from netip.Addr) ([]arg, error) {
	if !s.serviceOK(r.Service, "WANIPConnection", s.version) {
		return nil, ErrInvalidAction
	}
	v2 := s.version >= 2
	switch r.Action {
	case "GetExternalIPAddress":
		return []arg{{"NewExternalIPAddress", s.cfg.Mapper.ExternalAddr().String()}}, nil
	case "GetStatusInfo":
		up := int(time.Since(s.started).Seconds())
		return []arg{{"NewConnectionStatus", "Connected"}, {"NewLastConnectionError", "ERROR_NONE"}, {"NewUptime", strconv.Itoa(up)}}, nil
	case "GetConnectionTypeInfo":
		return []arg{{"NewConnectionType", "IP_Routed"}, {"NewPossibleConnectionTypes", "IP_Routed"}}, nil
	case "GetNATRSIPStatus":
		return []arg{{"NewRSIPAvailable", "0"}, {"NewNATEnabled", "1"}}, nil
	case "SetConnectionType", "RequestConnection", "ForceTermination":
		return nil, ErrActionFailed
	case "AddPortMapping":
		_, err := s.add(r, from, false)
		return nil, err
	case "DeletePortMapping":
		return nil, s.del(r, from)
	case "GetSpecificPortMappingEntry":
		return s.specific(r)
	case "GetGenericPortMappingEntry":
		return s.generic(r)
	}
	if v2 {
		switch r.Action {
		case "AddAnyPortMapping":
			port, err := s.add(r, from, true)
			if err != nil {
				return nil, err
			}
			return []arg{{"NewReservedPort", strconv.Itoa(int(port))}}, nil
		case "DeletePortMappingRange":
			return nil, s.delRange(r, from)
		case "GetListOfPortMappings":
			return s.list(r)
		}
	}
	return nil, ErrInvalidAction
}

// args gets the named arguments; a missing one is 402 Invalid Args.
func args(r Request, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		v, ok := r.Args[n]
		if !ok {
			return nil, ErrInvalidArgs
		}
		out[i] = v
	}
	return out, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil {
		return 0, ErrInvalidArgs
	}
	return uint16(n), nil
}

func parseProto(s string) (string, error) {
	switch s {
	case "TCP", "tcp":
		return "tcp", nil
	case "UDP", "udp":
		return "udp", nil
	}
	return "", ErrInvalidArgs
}

// remoteHost parses NewRemoteHost: "" or "*" is any.
func (s *Server) remoteHost(v string) (netip.Addr, error) {
	if v == "" || v == "*" {
		return netip.Addr{}, nil
	}
	if s.cfg.Options.RemoteHostWildcardOnly {
		return netip.Addr{}, ErrRemoteHostWildcardOnly
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return netip.Addr{}, ErrInvalidArgs
	}
	return a, nil
}

// add is AddPortMapping and AddAnyPortMapping (any: another port if the one
// asked for is taken); it returns the external port.
func (s *Server) add(r Request, from netip.Addr, any bool) (uint16, error) {
	v, err := args(r, "NewRemoteHost", "NewExternalPort", "NewProtocol", "NewInternalPort", "NewInternalClient")
	if err != nil {
		return 0, err
	}
	remote, err := s.remoteHost(v[0])
	if err != nil {
		return 0, err
	}
	ext, err := parsePort(v[1])
	if err != nil {
		return 0, err
	}
	proto, err := parseProto(v[2])
	if err != nil {
		return 0, err
	}
	in, err := parsePort(v[3])
	if err != nil {
		return 0, err
	}
	if ext == 0 && !any {
		return 0, ErrWildCardExtPort
	}
	if in == 0 {
		if s.version >= 2 {
			return 0, ErrWildCardIntPort
		}
		return 0, ErrInvalidArgs
	}
	client := from
	if v[4] != "" {
		if client, err = netip.ParseAddr(v[4]); err != nil || !client.Is4() {
			return 0, ErrInvalidArgs
		}
	}
	if s.cfg.Options.Secure && client != from {
		if s.version >= 2 {
			return 0, ErrNotAuthorized
		}
		return 0, ErrConflict // miniupnpd IGDv1 secure_mode
	}
	lease := uint64(0)
	if l, ok := r.Args["NewLeaseDuration"]; ok && l != "" {
		if lease, err = strconv.ParseUint(l, 10, 32); err != nil {
			return 0, ErrInvalidArgs
		}
	}
	if s.cfg.Options.PermanentOnly && lease != 0 {
		return 0, ErrOnlyPermanentLeases
	}
	if s.version >= 2 && (lease == 0 || lease > maxLeaseV2) {
		lease = maxLeaseV2
	}
	enabled := r.Args["NewEnabled"] != "0"
	pm := nat.PortMapping{Proto: proto, External: netip.AddrPortFrom(netip.Addr{}, ext),
		Internal: netip.AddrPortFrom(client, in), Remote: remote, Lifetime: time.Duration(lease) * time.Second}
	got, err := s.cfg.Mapper.AddPortMapping(pm)
	if errors.Is(err, nat.ErrPortConflict) && any {
		pm.External = netip.AddrPortFrom(netip.Addr{}, 0)
		got, err = s.cfg.Mapper.AddPortMapping(pm)
	}
	switch {
	case errors.Is(err, nat.ErrPortConflict):
		return 0, ErrConflict
	case errors.Is(err, nat.ErrPortExhausted):
		return 0, ErrNoPortMapsAvailable
	case errors.Is(err, nat.ErrBadPortMapping):
		return 0, ErrInvalidArgs
	case err != nil:
		s.log.Warn("igd.mapper_error", "err", err.Error())
		return 0, ErrActionFailed
	}
	var expires time.Duration
	if got.Lifetime > 0 && s.cfg.Now != nil {
		expires = s.cfg.Now() + got.Lifetime
	}
	s.mu.Lock()
	s.meta[key{proto, got.External.Port()}] = meta{desc: r.Args["NewPortMappingDescription"], enabled: enabled, expires: expires}
	s.mu.Unlock()
	s.keep(got)
	s.log.Info("igd.mapping_added", "proto", proto, "external", got.External.String(), "internal", got.Internal.String(),
		"lease", float64(lease))
	return got.External.Port(), nil
}

// find is the live mapping of (proto, port), if any.
func (s *Server) find(proto string, port uint16) (entry, bool) {
	for _, e := range s.mappings() {
		if e.Proto == proto && e.External.Port() == port {
			return e, true
		}
	}
	return entry{}, false
}

func (s *Server) del(r Request, from netip.Addr) error {
	v, err := args(r, "NewRemoteHost", "NewExternalPort", "NewProtocol")
	if err != nil {
		return err
	}
	if _, err := s.remoteHost(v[0]); err != nil {
		return err
	}
	port, err := parsePort(v[1])
	if err != nil {
		return err
	}
	proto, err := parseProto(v[2])
	if err != nil {
		return err
	}
	e, ok := s.find(proto, port)
	if !ok {
		return ErrNoSuchEntry
	}
	if s.cfg.Options.Secure && e.Internal.Addr() != from {
		if s.version >= 2 {
			return ErrNotAuthorized
		}
		return ErrNoSuchEntry
	}
	if err := s.cfg.Mapper.DeletePortMapping(proto, port); err != nil {
		if errors.Is(err, nat.ErrNoPortMapping) {
			return ErrNoSuchEntry
		}
		return ErrActionFailed
	}
	s.forget(proto, port)
	s.log.Info("igd.mapping_deleted", "proto", proto, "external_port", float64(port))
	return nil
}

// portRange parses NewStartPort, NewEndPort, NewProtocol and NewManage.
func portRange(r Request) (lo, hi uint16, proto string, manage bool, err error) {
	v, err := args(r, "NewStartPort", "NewEndPort", "NewProtocol", "NewManage")
	if err != nil {
		return
	}
	if lo, err = parsePort(v[0]); err != nil {
		return
	}
	if hi, err = parsePort(v[1]); err != nil {
		return
	}
	if proto, err = parseProto(v[2]); err != nil {
		return
	}
	if lo > hi {
		err = ErrInconsistentParameters
	}
	return lo, hi, proto, v[3] == "1" || strings.EqualFold(v[3], "true"), err
}

func (s *Server) delRange(r Request, from netip.Addr) error {
	lo, hi, proto, manage, err := portRange(r)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range s.mappings() {
		p := e.External.Port()
		if e.Proto != proto || p < lo || p > hi {
			continue
		}
		if (s.cfg.Options.Secure || !manage) && e.Internal.Addr() != from {
			continue
		}
		if s.cfg.Mapper.DeletePortMapping(proto, p) == nil {
			s.forget(proto, p)
			n++
		}
	}
	if n == 0 {
		return ErrPortMappingNotFound
	}
	return nil
}

func (s *Server) entryArgs(e entry, withKey bool) []arg {
	var out []arg
	if withKey {
		rh := ""
		if e.Remote.IsValid() {
			rh = e.Remote.String()
		}
		out = []arg{{"NewRemoteHost", rh}, {"NewExternalPort", strconv.Itoa(int(e.External.Port()))},
			{"NewProtocol", strings.ToUpper(e.Proto)}}
	}
	enabled := "0"
	if e.enabled {
		enabled = "1"
	}
	return append(out, arg{"NewInternalPort", strconv.Itoa(int(e.Internal.Port()))}, arg{"NewInternalClient", e.Internal.Addr().String()},
		arg{"NewEnabled", enabled}, arg{"NewPortMappingDescription", e.desc},
		arg{"NewLeaseDuration", strconv.Itoa(int(e.Lifetime.Round(time.Second) / time.Second))})
}

func (s *Server) specific(r Request) ([]arg, error) {
	v, err := args(r, "NewRemoteHost", "NewExternalPort", "NewProtocol")
	if err != nil {
		return nil, err
	}
	if _, err := s.remoteHost(v[0]); err != nil {
		return nil, err
	}
	port, err := parsePort(v[1])
	if err != nil {
		return nil, err
	}
	if port == 0 {
		return nil, ErrWildCardExtPort
	}
	proto, err := parseProto(v[2])
	if err != nil {
		return nil, err
	}
	e, ok := s.find(proto, port)
	if !ok {
		return nil, ErrNoSuchEntry
	}
	return s.entryArgs(e, false), nil
}

func (s *Server) generic(r Request) ([]arg, error) {
	v, err := args(r, "NewPortMappingIndex")
	if err != nil {
		return nil, err
	}
	i, err := strconv.ParseUint(v[0], 10, 16)
	if err != nil {
		return nil, ErrInvalidArgs
	}
	all := s.mappings()
	if int(i) >= len(all) {
		return nil, ErrArrayIndexInvalid
	}
	return s.entryArgs(all[i], true), nil
}

// list is GetListOfPortMappings: a PortMappingList XML document as a string.
func (s *Server) list(r Request) ([]arg, error) {
	lo, hi, proto, _, err := portRange(r)
	if err != nil {
		return nil, err
	}
	max := 0
	if n, ok := r.Args["NewNumberOfPorts"]; ok && n != "" {
		m, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return nil, ErrInvalidArgs
		}
		max = int(m)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><p:PortMappingList xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:schemas-upnp-org:gw:WANIPConnection ` +
		`http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd">`)
	n := 0
	for _, e := range s.mappings() {
		p := e.External.Port()
		if e.Proto != proto || p < lo || p > hi || (max > 0 && n >= max) {
			continue
		}
		n++
		b.WriteString("<p:PortMappingEntry>")
		for _, a := range s.entryArgs(e, true) {
			if a.name == "NewLeaseDuration" {
				a.name = "NewLeaseTime" // the PortMappingList schema's name for it
			}
			fmt.Fprintf(&b, "<p:%s>%s</p:%s>", a.name, xmlEscape(a.value), a.name)
		}
		b.WriteString("</p:PortMappingEntry>")
	}
	b.WriteString("</p:PortMappingList>")
	if n == 0 {
		return nil, ErrPortMappingNotFound
	}
	return []arg{{"NewPortListing", b.String()}}, nil
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
