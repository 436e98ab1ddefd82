package scenario

import (
	"fmt"
	"slices"
)

// testCatalog is a tiny Catalog: two roles and two NAT profiles.
type testCatalog struct{}

type echoOptions struct {
	Port int `yaml:"port"`
}

type pingerOptions struct {
	Server   string   `yaml:"server"`
	Interval Duration `yaml:"interval"`
}

// Check is the OptionsChecker of udp-pinger: its server must exist.
func (o *pingerOptions) Check(s *Scenario) []FieldError {
	var names []string
	for _, srv := range s.Topology.Servers {
		names = append(names, srv.Name)
	}
	switch {
	case o.Server == "":
		return []FieldError{{Field: "server", Msg: "want the name of a server to ping"}}
	case !slices.Contains(names, o.Server):
		return []FieldError{{Field: "server", Msg: fmt.Sprintf("no server named %q", o.Server)}}
	}
	return nil
}

func (testCatalog) RoleOptions(role string) (any, bool) {
	switch role {
	case "udp-echo":
		return &echoOptions{Port: 7}, true
	case "udp-pinger":
		return &pingerOptions{Interval: Duration(1e9)}, true
	case "silent":
		return nil, true
	}
	return nil, false
}

func (testCatalog) Roles() []string       { return []string{"silent", "udp-echo", "udp-pinger"} }
func (testCatalog) NATProfiles() []string { return []string{"linux", "linux-random"} }
