package scenario

import (
	"net/netip"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/boxlab/boxlab/sim/assert"
)

// Scenario is what a scenario file says: a topology, a timeline of faults and
// the assertions checked at the end. It is the configuration model only; the
// built topology is a different type (sim/topology).
type Scenario struct {
	File        string      `yaml:"-"`           // path the scenario was read from
	Name        string      `yaml:"name"`        // required, [a-z0-9-]+
	Description string      `yaml:"description"` // free text
	Speed       float64     `yaml:"speed"`       // time dilation: simulated seconds per real second; default 1, > 0
	Duration    Duration    `yaml:"duration"`    // required, simulated run length, > 0
	Seed        int64       `yaml:"seed"`        // seeds selector sampling and device jitter; default 1
	Pools       Pools       `yaml:"pools"`       // address pools; zero fields take defaults
	Topology    Topology    `yaml:"topology"`    // required
	Timeline    []Event     `yaml:"timeline"`    // faults and actions, any order in the file
	Assertions  []Assertion `yaml:"assertions"`  // checked after the run
}

// Pools are the address ranges the topology planner allocates from.
type Pools struct {
	Public  Prefix `yaml:"public"`  // home and ISP WAN addresses; default 198.18.0.0/16
	Servers Prefix `yaml:"servers"` // server addresses; default 198.19.0.0/24
	CGNAT   Prefix `yaml:"cgnat"`   // ISP-side addresses of homes behind a CGNAT; default 100.64.0.0/10
	LAN     Prefix `yaml:"lan"`     // home LAN prefix, the same in every home; default 192.168.1.0/24
}

// Default pools.
var (
	DefaultPublic  = netip.MustParsePrefix("198.18.0.0/16")
	DefaultServers = netip.MustParsePrefix("198.19.0.0/24")
	DefaultCGNAT   = netip.MustParsePrefix("100.64.0.0/10")
	DefaultLAN     = netip.MustParsePrefix("192.168.1.0/24")
)

// Topology lists the nodes of the simulated network around the core router.
type Topology struct {
	Servers []Server    `yaml:"servers"`
	ISPs    []ISP       `yaml:"isps"`
	Homes   []HomeGroup `yaml:"homes"`
}

// Server is one public server namespace linked to the core, running one role.
type Server struct {
	Name      string  `yaml:"name"`      // required, unique among servers, [a-z][a-z0-9-]*
	Role      string  `yaml:"role"`      // required, a registered device role
	Addresses int     `yaml:"addresses"` // public addresses on the server, 1..16; default 1 (an RFC 5780 STUN server needs 2)
	Options   Options `yaml:"options"`   // role options, decoded by the role's options type
	Pos       Pos     `yaml:"-"`
}

// ISP is a carrier-grade NAT namespace between some homes and the core.
type ISP struct {
	Name       string  `yaml:"name"`        // required, unique among ISPs
	NAT        string  `yaml:"nat"`         // NAT profile; default "linux"
	NATOptions Options `yaml:"nat_options"` // overrides of the profile's behaviour, decoded by the profile's options type
	Pos        Pos     `yaml:"-"`
}

// HomeGroup is Count identical homes: a gateway and its LAN devices.
type HomeGroup struct {
	Name       string   `yaml:"name"`        // default "home"; unique; nodes are <name><index>-gw, <name><index>-<device><k>
	Count      int      `yaml:"count"`       // default 1, >= 1
	NAT        string   `yaml:"nat"`         // NAT profile of the gateway; default "linux"
	NATOptions Options  `yaml:"nat_options"` // overrides of the profile's behaviour, decoded by the profile's options type
	ISP        string   `yaml:"isp"`         // optional: name of an ISP the homes sit behind (double NAT)
	LAN        Prefix   `yaml:"lan"`         // optional override of pools.lan
	Devices    []Device `yaml:"devices"`     // devices on the LAN, one namespace each
	// GatewayRole is an optional device role that runs in each gateway's
	// namespace with the gateway's NAT as its port mapper (igd).
	GatewayRole    string  `yaml:"gateway_role"`
	GatewayOptions Options `yaml:"gateway_options"` // options of the gateway role
	Pos            Pos     `yaml:"-"`
}

// Device is Count LAN devices of one role in every home of a group.
type Device struct {
	Name    string  `yaml:"name"`    // default = role; unique within the group
	Role    string  `yaml:"role"`    // required, a registered device role
	Count   int     `yaml:"count"`   // default 1, >= 1
	Options Options `yaml:"options"` // role options
	Pos     Pos     `yaml:"-"`
}

// Options holds a role's options: the raw YAML node and the value the role's
// options type decoded from it (a pointer to the struct the Catalog returned).
type Options struct {
	Node  *yaml.Node
	Value any
}

// Fault kinds a timeline event may do.
const (
	LinkDown      = "link-down"         // set a link of the target down; up again after For if set
	LinkUp        = "link-up"           // set it up
	GatewayReboot = "gateway-reboot"    // gateway loses all NAT state and is unreachable for For (default 1s)
	WANChange     = "wan-change"        // gateway gets a new WAN address; NAT state lost
	DeviceCrash   = "device-crash"      // device goroutines stop; restarted after For if set
	DeviceRestart = "device-restart"    // start crashed devices again
	RoleStop      = "gateway-role-stop" // the gateway's role (gateway_role: its IGD daemon) stops, as when UPnP is switched off; started again after For; NAT state kept
)

// FaultKinds lists every valid Event.Do.
var FaultKinds = []string{LinkDown, LinkUp, GatewayReboot, WANChange, DeviceCrash, DeviceRestart, RoleStop}

// Event is one timeline entry: at simulated time At, do a fault on the nodes On selects.
type Event struct {
	Name string   `yaml:"name"` // optional; assertions can say "during NAME"
	At   Duration `yaml:"at"`   // required, >= 0 and < scenario duration
	Do   string   `yaml:"do"`   // required, one of FaultKinds
	On   Selector `yaml:"on"`   // required
	For  Duration `yaml:"for"`  // optional: the fault is reverted after this long
	Link string   `yaml:"link"` // link faults only: "wan" (default) or "lan"
	Pos  Pos      `yaml:"-"`
}

// Assertion is one check over metrics, written either as a plain string or as
// a mapping {name, expect}.
type Assertion struct {
	Name   string            // default: the expression text
	Expect string            // the expression source
	Expr   *assert.Assertion // parsed Expect
	Pos    Pos               // position of the expression in the file
}

// Pos is a 1-based line and column in a scenario file.
type Pos struct {
	Line, Col int
}

// Duration is a time.Duration written with a unit ("30s", "1m30s", "500ms").
type Duration time.Duration

// Prefix is an IPv4 prefix written in CIDR form.
type Prefix struct{ netip.Prefix }

// Selector picks nodes for a timeline event. Written forms:
//
//	homes              every home of every group
//	homes:10%          10% of all homes (sampled with the scenario seed)
//	homes:25           25 homes
//	home[3]            home 3 of group "home" (0-based)
//	cam[0-9]           homes 0..9 of group "cam"
//	cam:50%            half the homes of group "cam"
//	home[3].stb        the devices named stb in home 3 (any selector of homes may take .DEVICE)
//	server[acs]        the server named acs
//	isp[isp1]          the ISP named isp1
type Selector struct {
	Src     string  // the text as written
	Kind    string  // "homes", "server" or "isp"
	Group   string  // home group name; "" = all groups
	From    int     // index range [From, To] when Indexed
	To      int     //
	Indexed bool    //
	Percent float64 // 0 < Percent <= 100 when set
	Count   int     // > 0 when set
	Name    string  // server or ISP name
	Device  string  // device name in each selected home; "" = the homes (their gateways)
}

// Catalog tells the loader which roles and NAT profiles exist and how to
// decode each role's options. Implemented by devices.Registry.
type Catalog interface {
	// RoleOptions returns a fresh options value for role (a pointer to a
	// struct with defaults filled in) and true, or false if the role is unknown.
	// A nil value with true means the role takes no options.
	RoleOptions(role string) (any, bool)
	// Roles lists the registered role names, sorted.
	Roles() []string
	// NATProfiles lists the registered NAT profile names, sorted.
	NATProfiles() []string
}

// NATOptioner may be implemented by a Catalog whose NAT profiles take
// options (nat_options in the file): it returns a fresh options value for
// profile, or false if the profile is unknown. A nil value means none.
type NATOptioner interface {
	NATOptions(profile string) (any, bool)
}

// OptionsChecker may be implemented by an options value to check itself after
// decoding against the rest of the scenario (e.g. that a named server exists).
// Each returned FieldError names the option field (its yaml key) at fault.
type OptionsChecker interface {
	Check(s *Scenario) []FieldError
}

// FieldError is a problem with one option field.
type FieldError struct {
	Field string // yaml key of the option, "" for the options mapping as a whole
	Msg   string // what is wrong and what was expected
}
