// Package scenario reads boxlab scenario files: the YAML that describes a
// topology of network namespaces, a timeline of faults and the assertions
// checked after a run.
//
// # File format
//
//	name: quickstart            # required, [a-z0-9][a-z0-9-]*
//	duration: 30s               # required; durations always carry a unit
//	speed: 2                    # simulated seconds per real second (default 1)
//	seed: 7                     # default 1
//	pools: {lan: 192.168.1.0/24} # public, servers, cgnat, lan (IPv4 network prefixes)
//	topology:
//	  servers: [{name: echo, role: udp-echo, options: {port: 7}}]
//	  isps:    [{name: isp1, nat: linux}]          # carrier-grade NATs
//	  homes:                                        # groups of identical homes
//	    - {name: home, count: 3, nat: linux, isp: isp1, devices: [{role: udp-pinger}]}
//	timeline:                   # faults: link-down, link-up, gateway-reboot,
//	  - {at: 10s, do: link-down, on: "home[0]", for: 3s}  # wan-change, device-crash, device-restart, gateway-role-stop
//	assertions:                 # sim/assert expressions, plain or {name, expect}
//	  - count(echo.reply) / count(echo.request) >= 0.9
//
// Selectors (the "on" of an event) are documented on [Selector]. Roles and
// NAT profiles come from a [Catalog]; each role's options are decoded by the
// type the catalog returns and may check themselves ([OptionsChecker]).
// [JSONSchema] describes the same format for editors; scenarios/schema.json
// is its output.
//
// # Errors
//
// [Load] and [Parse] report every problem in a file at once, as an
// [ErrorList] of "file:line:col: message" lines that say what was expected:
// unknown or duplicate keys, wrong types, missing fields, unknown roles, NAT
// profiles, groups, servers, ISPs and devices, out-of-range selector
// indexes, faults on targets they cannot act on, and assertion syntax
// errors at the offending character. Decoding is strict and done by this
// package's own walker over yaml.v3 nodes, so no unknown key passes
// silently; aliases are expanded with a budget, and no input panics (see
// FuzzParse).
//
// # What it does not do
//
// It does not build or run anything: the topology plan, namespaces and the
// timeline runner live in other packages and take a *Scenario. It does not
// check that the address pools are large enough for the topology (the
// planner does), nor evaluate assertions (sim/assert does). Merge keys
// (<<) are rejected rather than supported.
package scenario
