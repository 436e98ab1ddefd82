// Package discover is the NAT behaviour discovery client of RFC 5780 §4:
// it classifies the NATs between a LAN socket and an RFC 5780 STUN server
// (package nat/stun's Server) and reports mapping behaviour (tests I–III),
// filtering behaviour (CHANGE-REQUEST tests I–III), port preservation,
// hairpinning and mapping lifetime, with every observation behind the
// verdicts. Behaviours are named as in RFC 4787.
//
// Probe takes a dial func, so the caller decides where sockets live: the
// `boxlab nat probe` command passes NSDialer for a LAN node's namespace.
// Requests are RFC 5389 Binding Requests retransmitted RFC 5389 §7.2.1
// style with a smaller first timeout (Options.RTO); no answer after
// Options.Attempts sends is an observation ("not answered"), never a hang,
// and ctx ends everything.
//
// Mapping lifetime (RFC 5780 §4.6) is measured with fresh mappings left
// idle for a simulated span on the scenario clock, then probed from the
// outside through the server's RESPONSE-PORT; parallel rounds narrow the
// bracket until it is within Options.Precision (5%). It is off unless
// Options.MaxLifetime is set, because it takes at least the lifetime.
//
// Deliberately not done: RFC 3489 classic NAT-type names ("full cone"…),
// which RFC 5780 retired; TCP behaviour (RFC 5382); IPv6; MTU/fragment
// tests with PADDING; and tests of the filtering of hairpinned traffic: the
// hairpin test opens the filter first so that it measures hairpinning only.
package discover
