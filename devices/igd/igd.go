package igd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Options configure the igd role: which real gateway it behaves like.
type Options struct {
	Off                    bool              `yaml:"off"`                       // UPnP switched off: no SSDP, no HTTP
	Version                int               `yaml:"version"`                   // 1 (IGDv1 only) or 2 (IGD:2, answers v1 requests too); default 2
	Secure                 bool              `yaml:"secure"`                    // a host may map (and delete) only to itself (miniupnpd secure_mode)
	PermanentOnly          bool              `yaml:"permanent_only"`            // a lease other than 0 gets 725 OnlyPermanentLeasesSupported
	KeepOnWANChange        bool              `yaml:"keep_on_wan_change"`        // re-install mappings on the new WAN address (miniupnpd: rules have no -d)
	RemoteHostWildcardOnly bool              `yaml:"remote_host_wildcard_only"` // a NewRemoteHost other than "" gets 726
	Port                   int               `yaml:"port"`                      // HTTP port on the LAN address; default 5000
	NotifyInterval         scenario.Duration `yaml:"notify_interval"`           // NOTIFY alive period, real time; default 900s
	NATPMP                 bool              `yaml:"natpmp"`                    // answer NAT-PMP (RFC 6886) on UDP 5351, same mapping table
	PCP                    bool              `yaml:"pcp"`                       // answer PCP (RFC 6887) on UDP 5351, same mapping table
	PCPThirdParty          bool              `yaml:"pcp_third_party"`           // allow the PCP THIRD_PARTY option (miniupnpd pcp_allow_thirdparty)
}

// DefaultOptions is an IGD:2 like miniupnpd's defaults without secure mode.
func DefaultOptions() *Options {
	return &Options{Version: 2, Port: 5000, NotifyInterval: scenario.Duration(900 * time.Second)}
}

func (o *Options) defaults() {
	if o.Version == 0 {
		o.Version = 2
	}
	if o.Port == 0 {
		o.Port = 5000
	}
	if o.NotifyInterval <= 0 {
		o.NotifyInterval = scenario.Duration(900 * time.Second)
	}
}

// Check validates the options.
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	if o.Version != 1 && o.Version != 2 {
		errs = append(errs, scenario.FieldError{Field: "version", Msg: fmt.Sprintf("want 1 or 2; got %d", o.Version)})
	}
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, scenario.FieldError{Field: "port", Msg: fmt.Sprintf("want a port 1..65535; got %d", o.Port)})
	}
	return errs
}

// Roles is the igd role.
func Roles() []devices.Role {
	return []devices.Role{{
		Name:    "igd",
		Doc:     "UPnP IGD (and optionally NAT-PMP/PCP on UDP 5351) on a home gateway: port mapping through the gateway's NAT",
		Options: func() any { return DefaultOptions() },
		New: func(opts any) (devices.Device, error) {
			o, ok := opts.(*Options)
			if !ok {
				return nil, fmt.Errorf("igd: options of type %T; want *igd.Options", opts)
			}
			return &Device{Options: *o}, nil
		},
	}}
}

// Device is the igd role on a gateway node.
type Device struct {
	Options Options
}

// Run serves the IGD on the gateway's first LAN address until ctx ends.
func (d *Device) Run(ctx context.Context, env *devices.Env) error {
	if d.Options.Off && !d.Options.NATPMP && !d.Options.PCP {
		env.Log.Info("igd.off")
		<-ctx.Done()
		return nil
	}
	if env.PortMapper == nil {
		return errors.New("igd: the node's NAT cannot map ports (not a gateway, or a backend without nat.PortMapper)")
	}
	if len(env.LAN) == 0 {
		return errors.New("igd: the node has no LAN address (not a gateway)")
	}
	if d.Options.Off {
		env.Log.Info("igd.off")
	}
	s, err := Start(Config{NS: env.NS, Mapper: env.PortMapper, LAN: env.LAN[0].Addr(), LANPrefix: env.LAN[0].Masked(), Options: d.Options, Log: env.Log, Name: env.Node, Now: env.Clock.Now})
	if err != nil {
		return err
	}
	return s.Run(ctx)
}
