package standalone

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Where is what the environment says about the device's place in a run.
type Where struct {
	Node    string                // BOXLAB_NODE
	Addr    netip.Addr            // BOXLAB_ADDR; invalid when unset (Interfaces fill it)
	Public  netip.Addr            // BOXLAB_PUBLIC; invalid when unset
	Speed   float64               // BOXLAB_SPEED; 1 when unset
	Servers map[string]netip.Addr // BOXLAB_SERVER_<NAME>, by server name (lower case, "_" as "-")
}

// Variable names read from the environment.
const (
	EnvNode         = "BOXLAB_NODE"
	EnvAddr         = "BOXLAB_ADDR"
	EnvPublic       = "BOXLAB_PUBLIC"
	EnvSpeed        = "BOXLAB_SPEED"
	EnvServerPrefix = "BOXLAB_SERVER_"
)

// FromEnviron reads Where from KEY=VALUE pairs (os.Environ()). A malformed
// value is an error naming its variable; unset ones keep their defaults.
func FromEnviron(environ []string) (Where, error) {
	w := Where{Speed: 1, Servers: map[string]netip.Addr{}}
	var errs []string
	bad := func(k, v, want string) { errs = append(errs, fmt.Sprintf("%s=%q: want %s", k, v, want)) }
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch {
		case k == EnvNode:
			w.Node = v
		case k == EnvAddr || k == EnvPublic:
			a, err := netip.ParseAddr(v)
			if err != nil {
				bad(k, v, "an IP address")
				continue
			}
			if k == EnvAddr {
				w.Addr = a
			} else {
				w.Public = a
			}
		case k == EnvSpeed:
			s, err := strconv.ParseFloat(v, 64)
			if err != nil || !(s > 0) || s > 1e6 {
				bad(k, v, "a clock speed > 0 (simulated seconds per real second)")
				continue
			}
			w.Speed = s
		case strings.HasPrefix(k, EnvServerPrefix) && len(k) > len(EnvServerPrefix):
			a, err := netip.ParseAddr(v)
			if err != nil {
				bad(k, v, "an IP address")
				continue
			}
			w.Servers[ServerName(k[len(EnvServerPrefix):])] = a
		}
	}
	if errs != nil {
		return w, fmt.Errorf("environment: %s", strings.Join(errs, "; "))
	}
	return w, nil
}

// ServerName is the scenario name of a server from the NAME of its
// BOXLAB_SERVER_<NAME> variable: server names are [a-z][a-z0-9-]*, which
// the exec role exports upper-cased with "-" written "_".
func ServerName(env string) string {
	return strings.ReplaceAll(strings.ToLower(env), "_", "-")
}

// Scenario is the scenario a role's options are checked against: one that
// has exactly the servers of w (so `acs: acs` needs BOXLAB_SERVER_ACS).
func (w Where) Scenario() *scenario.Scenario {
	s := &scenario.Scenario{Name: "standalone", Speed: w.Speed}
	for _, name := range sortedNames(w.Servers) {
		s.Topology.Servers = append(s.Topology.Servers, scenario.Server{Name: name, Addresses: 1})
	}
	return s
}

// Options decodes text (YAML, the body of an `options:` block) into the
// role's fresh options value and checks it like a scenario would; file
// names the text in errors ("--options" or a file name).
func Options(reg *devices.Registry, role, file string, text []byte, w Where) (any, error) {
	r, ok := reg.Role(role)
	if !ok {
		return nil, fmt.Errorf("unknown role %q; want one of %s", role, strings.Join(reg.Roles(), ", "))
	}
	var v any
	if r.Options != nil {
		v = r.Options()
	}
	if err := scenario.ParseOptions(file, text, role, v, w.Scenario()); err != nil {
		return nil, err
	}
	return v, nil
}

// GlobalAddrs are the global unicast IPv4 addresses among addrs (what
// net.InterfaceAddrs returns), in order: the node's own addresses.
func GlobalAddrs(addrs []net.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		default:
			continue
		}
		na, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		na = na.Unmap()
		if na.Is4() && na.IsGlobalUnicast() {
			out = append(out, na)
		}
	}
	return out
}
