// Package conform is the NAT conformance catalogue: every requirement of
// RFC 4787 (UDP), RFC 5382 (TCP) and RFC 5508 (ICMP) that can be tested from
// outside the box, each with a check that measures it through a real
// gateway built by sim/topology (one home with the NAT under test and two
// LAN hosts; servers s1 with two addresses and s2), and an oracle of what
// each built-in NAT profile is expected to do: for a userspace profile it is
// derived from the table.Behavior its profile and nat_options configure
// (ExpectedFromBehavior), for a kernel profile it is Linux's documented
// behaviour. Matrix turns the outcomes
// into a reports.Run, so the JSON, JUnit and HTML writers produce the
// requirement × NAT matrix.
//
// Every check is bounded: each wait has a deadline, and waits that measure a
// NAT timer are simulated durations divided by the harness speed. Each
// requirement runs on a freshly built topology at its own speed, so no
// NAT state carries over between checks.
//
// Deliberately not done: requirements about the inside of the box
// (configurability, logging), IP pooling over several WAN addresses (the
// homes have one), TCP transitory timeouts (the kernel backends' 1 s floor
// on scaled conntrack timeouts makes them meaningless at high speed) and IPv6.
package conform
