package runner

import (
	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/echo"
	"github.com/boxlab/boxlab/devices/exec"
	"github.com/boxlab/boxlab/devices/igd"
	"github.com/boxlab/boxlab/devices/mapmon"
	"github.com/boxlab/boxlab/devices/natprobe"
	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/devices/relay"
	"github.com/boxlab/boxlab/devices/rendezvous"
	"github.com/boxlab/boxlab/devices/stb"
	"github.com/boxlab/boxlab/devices/stunserver"
	"github.com/boxlab/boxlab/devices/trigger"
	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/nat/external"
	"github.com/boxlab/boxlab/nat/kernel"
	"github.com/boxlab/boxlab/nat/userspace"
)

// Catalog is every device role and NAT profile a scenario may name. It
// implements scenario.Catalog.
type Catalog struct {
	Devices *devices.Registry
	NAT     nat.Profiles
}

// DefaultCatalog lists the roles and profiles built into boxlab. A new role
// package adds its Roles() here.
func DefaultCatalog() (*Catalog, error) {
	roles, err := devices.NewRegistry(
		echo.Roles(),
		exec.Roles(),
		ratings.Roles(),
		stb.Roles(),
		stb.KeepaliveRoles(),
		acs.Roles(),
		stunserver.Roles(),
		natprobe.Roles(),
		trigger.Seed002Roles(),
		igd.Roles(),
		mapmon.Roles(),
		stb.MapperRoles(),
		rendezvous.Roles(),
		relay.Roles(),
		stb.PeerRoles(),
	)
	if err != nil {
		return nil, err
	}
	profiles, err := nat.NewProfiles(kernel.Profiles(), userspace.Profiles(), external.Profiles())
	if err != nil {
		return nil, err
	}
	return &Catalog{Devices: roles, NAT: profiles}, nil
}

// RoleOptions returns fresh options of a role.
func (c *Catalog) RoleOptions(role string) (any, bool) { return c.Devices.RoleOptions(role) }

// Roles lists the role names.
func (c *Catalog) Roles() []string { return c.Devices.Roles() }

// NATProfiles lists the NAT profiles.
func (c *Catalog) NATProfiles() []string { return c.NAT.Names() }

// NATOptions returns fresh nat_options of a NAT profile (scenario.NATOptioner).
func (c *Catalog) NATOptions(profile string) (any, bool) { return c.NAT.OptionsOf(profile) }
