// Package topology turns a scenario's topology into a plan (pure: names,
// links, addresses; see plan.go) and builds the plan as real Linux network
// namespaces over netlink (build.go): an internet core router with bridges of
// at most MaxPorts ports each, server namespaces, optional ISP CGNAT
// namespaces, and homes made of a NAT gateway with a LAN bridge and one
// namespace per device. It applies the timeline's faults to the built
// namespaces (faults.go).
//
// Every namespace gets its sysctls set explicitly (IPv6 off, ip_forward,
// rp_filter, bridge-nf-call-iptables) because new namespaces start from
// kernel defaults, not the host's. Teardown closes namespaces rather than
// deleting links: the kernel batches that, link deletes cost ~20 ms each.
// It never touches the root namespace.
package topology
