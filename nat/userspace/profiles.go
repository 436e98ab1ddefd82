package userspace

import (
	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/table"
)

// Behaviors of the named userspace profiles (RFC 4787 §4, §5 terms; RFC
// 3489's cone names). Timeouts are the table's RFC defaults.
var (
	FullCone = table.Behavior{Mapping: table.EndpointIndependent, Filtering: table.EndpointIndependent,
		Ports: table.Preserve, InboundRefresh: true, Hairpin: true}
	RestrictedCone = table.Behavior{Mapping: table.EndpointIndependent, Filtering: table.AddressDependent,
		Ports: table.Preserve, Hairpin: true}
	PortRestrictedCone = table.Behavior{Mapping: table.EndpointIndependent, Filtering: table.AddressPortDependent,
		Ports: table.Preserve, Hairpin: true}
	Symmetric = table.Behavior{Mapping: table.AddressPortDependent, Filtering: table.AddressPortDependent,
		Ports: table.Sequential}
	CGNAT = table.Behavior{Mapping: table.EndpointIndependent, Filtering: table.AddressPortDependent,
		Ports: table.Random, Pooling: table.Paired, PortMin: 1024, PortMax: 65535, MaxPerHost: 2048, Hairpin: true}
)

// Profiles are the userspace NAT profiles, without impairments.
func Profiles() []nat.Profile {
	p := func(name, doc string, b table.Behavior) nat.Profile {
		return nat.Profile{Name: name, Doc: doc, New: func() nat.Gateway { return New(b, Impairments{}) }}
	}
	return []nat.Profile{
		p("full-cone", "userspace NAT: endpoint-independent mapping and filtering, port preservation", FullCone),
		p("restricted-cone", "userspace NAT: endpoint-independent mapping, address-dependent filtering", RestrictedCone),
		p("port-restricted-cone", "userspace NAT: endpoint-independent mapping, address-and-port-dependent filtering", PortRestrictedCone),
		p("symmetric", "userspace NAT: address-and-port-dependent mapping and filtering, sequential ports", Symmetric),
		p("cgnat", "userspace carrier-grade NAT: EIM, APDF, paired pooling, random ports 1024-65535, 2048 mappings per host", CGNAT),
	}
}
