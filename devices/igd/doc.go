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
// (SSDP discovery, description, SOAP calls; on 725 it retries with a
// permanent lease, on 718 it tries the next port). Two more roles close a
// minimal seed-003 remap loop (remap.go): upnp-mapper, a LAN device that
// maps a UDP port, answers probes on it, reports it to a monitor and maps
// again when told; and mapmon, a server that probes every reported mapping
// and instructs a remap on failure (events mapmon.failure_detected,
// mapmon.instruction, mapmon.remapped with recovery). They belong in
// devices/mapmon and devices/stb once those grow (TCP probes, NAT-PMP/PCP).
//
// SOAP requests are parsed strictly (ParseSOAP): at most 16 KiB, no DTD, a
// bounded depth. It does not do GENA eventing (subscriptions get 404),
// WANPPPConnection, IPv6 pinholes, NAT-PMP or PCP; NewEnabled=0 is recorded
// but the mapping still forwards.
package igd
