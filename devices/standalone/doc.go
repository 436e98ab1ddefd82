// Package standalone runs one registered device role outside a scenario, in
// the network namespace of the calling process, until it is told to stop:
// what `boxlab device ROLE` does, so that an `exec` node can run boxlab's own
// acs, stb or udp-echo as if it were a vendor's program and a conformance
// suite's exec path is exercised end to end.
//
// The role learns where it is from the environment the `exec` role exports
// (Where): BOXLAB_NODE (its name), BOXLAB_ADDR (its address; else the first
// global IPv4 address of its interfaces), BOXLAB_PUBLIC (how the internet
// saw it when it started), BOXLAB_SERVER_<NAME> (every server of the run,
// NAME upper-cased with "-" as "_") and BOXLAB_SPEED (the run's clock speed,
// simulated seconds per real second; default 1). Its options are YAML text
// decoded and checked exactly like a scenario's `options:` block
// (scenario.ParseOptions), against a scenario holding only those servers.
// Its events are the run journal's JSON lines (sim/journal), written to
// stdout, with t in the device's own simulated seconds since it started.
//
// What it does not do: it has no topology, so roles that need the engine
// beyond Env (a gateway role's PortMapper and LAN) fail as they would on a
// non-gateway node; Public is the address given at start and does not follow
// a later WAN change; Truth is a fresh board of this one process, so a
// server's ground-truth comparison sees no other device's facts; no metrics
// are kept and no assertion is evaluated (the run that hosts the exec node
// judges what it sees on the wire).
package standalone
