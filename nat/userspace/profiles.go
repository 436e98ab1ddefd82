package userspace

import (
	"fmt"

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

// Profiles are the userspace NAT profiles. Each takes Options (nat_options
// in a scenario) whose defaults are the profile's behaviour and no
// impairments.
func Profiles() []nat.Profile {
	p := func(name, doc string, b table.Behavior) nat.Profile {
		return nat.Profile{Name: name, Doc: doc,
			New:     func() nat.Gateway { return New(b, Impairments{}) },
			Options: func() any { return OptionsOf(b) },
			NewWith: func(o any) (nat.Gateway, error) {
				opts, ok := o.(*Options)
				if !ok {
					return nil, fmt.Errorf("NAT profile %s: options of type %T; want *userspace.Options", name, o)
				}
				if errs := opts.Check(nil); len(errs) > 0 {
					return nil, fmt.Errorf("NAT profile %s: nat_options.%s: %s", name, errs[0].Field, errs[0].Msg)
				}
				return New(opts.Behavior(), opts.Impairments()), nil
			},
		}
	}
	return []nat.Profile{
		p("full-cone", "userspace NAT: endpoint-independent mapping and filtering, port preservation", FullCone),
		p("restricted-cone", "userspace NAT: endpoint-independent mapping, address-dependent filtering", RestrictedCone),
		p("port-restricted-cone", "userspace NAT: endpoint-independent mapping, address-and-port-dependent filtering", PortRestrictedCone),
		p("symmetric", "userspace NAT: address-and-port-dependent mapping and filtering, sequential ports", Symmetric),
		p("cgnat", "userspace carrier-grade NAT: EIM, APDF, paired pooling, random ports 1024-65535, 2048 mappings per host", CGNAT),
	}
}
