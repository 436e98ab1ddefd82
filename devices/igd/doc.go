// Package igd is the igd role: a UPnP Internet Gateway Device (seed 003,
// issue 6) that runs in a home gateway's namespace and maps ports through
// the gateway's NAT (nat.PortMapper), so a mapping really forwards.
//
// It answers SSDP M-SEARCH on the LAN (ssdp:all, upnp:rootdevice, uuids,
// InternetGatewayDevice, WANDevice, WANConnectionDevice, WANIPConnection
// and WANCommonInterfaceConfig URNs, lower versions of a URN included),
// sends NOTIFY alive at start and every notify_interval and byebye at stop,
// serves the device description and SCPDs of InternetGatewayDevice:1 or :2,
// and the WANIPConnection actions GetExternalIPAddress, GetStatusInfo,
// GetConnectionTypeInfo, GetNATRSIPStatus, AddPortMapping,
// DeletePortMapping, GetSpecificPortMappingEntry, GetGenericPortMappingEntry
// and, for version 2, AddAnyPortMapping, DeletePortMappingRange and
// GetListOfPortMappings, with the UPnP error codes miniupnpd sends (402,
// 501, 606, 713, 714, 716, 718, 725, 726, 728, 730, 732, 733). Leases expire
// in the NAT on the scenario clock; an IGD:2 turns a lease of 0 or more than
// a week into a week, as the specification and miniupnpd do.
//
// Profiles of real gateways are options: off, version 1 only, secure mode
// (a host maps only to itself: 718 in v1, 606 in v2), permanent leases only
// (725), remote host wildcard only (726), keep mappings across a WAN
// address change (re-installed on the new address, as miniupnpd's rules
// survive it; by default they are lost with the NAT's state). A reboot
// always loses them. Not yet: a gateway behind CGNAT reporting a
// non-public external address is a topology (isp:), not an option.
//
// Client is a control point any device role may use against any IGD
// (SSDP discovery, description, SOAP calls, Delete; on 725 it retries with
// a permanent lease, on 718 it tries the next port); PMPClient is its
// NAT-PMP/PCP counterpart. Both are tested against Debian's miniupnpd
// (conformance/igd). Client is ours rather than huin/goupnp's because
// goupnp opens its SSDP sockets on every interface of the calling thread's
// namespace and fetches descriptions through a package-level http.Client,
// while thousands of devices here each need their own namespace's sockets,
// repeated M-SEARCH while a gateway boots, and 718/725 handling; goupnp is
// instead a real peer of our IGD server in conformance/igd (goupnp_test.go),
// beside Debian's upnpc. The device side of the remap loop (role upnp-mapper)
// is in devices/stb, the mapping monitor (role mapmon) in devices/mapmon.
// The server logs igd.lease_expired (with late, the sweep delay) when a
// UPnP lease it granted has run out unrenewed (from its own table: it does
// not poll the NAT).
//
// With the options natpmp and pcp the role also answers NAT-PMP (RFC 6886)
// and PCP (RFC 6887, codec in nat/pcp) on the LAN address, UDP 5351
// (pmp.go, natpmp.go, pcpserver.go), through the same nat.PortMapper and
// the same table of who made which mapping, so UPnP, NAT-PMP, PCP and the
// NAT's dynamic mappings share one port space: a port another host holds is
// 718 for UPnP, another port (or CANNOT_PROVIDE_EXTERNAL with
// PREFER_FAILURE) for PCP, another port for NAT-PMP. PCP MAP mappings
// belong to their nonce (another nonce is NOT_AUTHORIZED); THIRD_PARTY is
// honoured with pcp_third_party (else NOT_AUTHORIZED); FILTER on one remote
// host is honoured, on a prefix or port it is UNSUPP_OPTION; PEER is
// UNSUPP_OPCODE (the NAT does not let us pin a dynamic mapping), as in a
// miniupnpd built without --pcp-peer. Lifetimes are clamped to 120 s ..
// 24 h (miniupnpd's defaults). The epoch counts scenario seconds from the
// last loss of state (start, Rebooted, a WAN change unless
// keep_on_wan_change), and each of those is announced ten times, 250 ms
// apart doubling, to 224.0.0.1:5350 (NAT-PMP opcode 128 and PCP
// ANNOUNCE). off: true switches off only UPnP. PMPClient is the client side
// (PCP or NAT-PMP against the default router, epoch check). Not done: unsolicited per-client MAP
// responses after an address change (RFC 6887 §14.2), IPv6, the
// all-ports and all-protocols mappings.
//
// SOAP requests are parsed strictly (ParseSOAP): at most 16 KiB, no DTD, a
// bounded depth. It does not do GENA eventing (subscriptions get 404),
// WANPPPConnection or IPv6 pinholes; NewEnabled=0 is recorded but the
// mapping still forwards.
package igd
