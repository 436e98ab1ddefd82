// Package table is boxlab's userspace NAT table: the pure decision half of a
// NAT gateway. It takes flows (protocol, endpoints, TCP flags) and the table
// time, and says where each packet goes; it keeps the mappings, their
// filters, TCP states and timers, and one port space shared by dynamic
// mappings and port mappings (UPnP IGD, NAT-PMP, PCP). It does no I/O, starts
// no goroutine and reads no clock, so it is tested with tables of
// (flow, time) → verdict rows. The AF_PACKET datapath in nat/ parses frames,
// calls the table, rewrites headers and checksums.
//
// # Knobs and the requirements they implement
//
//   - Behavior.Mapping: RFC 4787 REQ-1, endpoint-independent (EIM),
//     address-dependent (ADM) or address-and-port-dependent (APDM) mapping.
//     Each mapping has its own external endpoint: no two live mappings of one
//     protocol share one.
//   - Behavior.Pooling: RFC 4787 REQ-2, Paired (an internal address always
//     gets the same external address, assigned round-robin the first time and
//     kept until Reset/SetWAN) or Arbitrary (round-robin per mapping).
//   - Behavior.Ports: RFC 4787 REQ-3, Preserve (the internal port if free on
//     a candidate address, else as Sequential from the internal port),
//     Sequential (a rotating cursor) or Random (a few probes from a PCG seeded
//     by New's seed, then a cursor scan from a random start). Behavior.Parity:
//     REQ-4, the external port keeps the internal port's parity.
//     Behavior.PortMin..PortMax bound dynamic TCP and UDP ports; ICMP echo
//     identifiers use the whole 16-bit space; static mappings may take any
//     port. Allocation scans a chunked bitmap per address and protocol: at
//     most ~1000 word operations however full, no random looping.
//   - Behavior.UDPTimeout: RFC 4787 REQ-5 (default 5 min; lower values are
//     allowed for tests). Outbound packets always refresh (REQ-6);
//     Behavior.InboundRefresh lets inbound packets refresh UDP and ICMP
//     mappings too.
//   - Behavior.Filtering: RFC 4787 REQ-8, EIF, ADF or APDF. A mapping
//     remembers every remote its internal endpoint sent to for as long as it
//     lives. ICMP remotes are addresses only (APDF acts as ADF for echo).
//   - Behavior.Hairpin: RFC 4787 REQ-9. A LAN packet to one of our external
//     endpoints goes out through the sender's mapping and in through the
//     target's, whose filter must admit the sender's external endpoint; it
//     arrives with the sender's external endpoint as source (external-source
//     hairpinning). Off, it is dropped ("hairpin-disabled").
//   - TCP (RFC 5382): SYN, FIN and RST are tracked per connection (per remote
//     of a mapping). Behavior.TCPEstablished (REQ-5, default 2h4m) applies
//     once the handshake is done and no FIN or RST was seen;
//     Behavior.TCPTransitory (default 4 min) to opening, closing and reset
//     connections. A mapping lives as long as its longest-lived connection.
//     Simultaneous open (REQ-2) works: an inbound SYN is forwarded when the
//     mapping's filter admits its source, which under APDF means the inside
//     sent to it first. An unsolicited inbound SYN (filter refuses) is
//     dropped at once ("filtered"); REQ-4's optional 6 s hold is not done.
//     A connection a remote opens through the filter of an address- or
//     port-dependent mapping that was made for another remote answers
//     through that mapping, not a new one (REQ-2).
//   - Behavior.InboundSynAck, for a SYN-ACK that answers no SYN seen the other
//     way on that connection:
//     inbound (WAN → LAN): DropSynAck drops it ("synack-unsolicited", as
//     Linux conntrack); MapSynAck forwards it if a mapping holds the
//     destination external endpoint and its filter admits the source (with
//     EIF any remote). With no mapping it is "no-mapping" under both.
//     outbound (LAN → WAN, seed 002: a forged SYN reaches a camera inside the
//     LAN and the camera's SYN-ACK goes out): DropSynAck drops it
//     ("synack-unsolicited", as conntrack treats an invalid new flow) and
//     creates nothing; MapSynAck creates the mapping (or uses the existing
//     one) like a SYN would, and the connection starts in "syn-both".
//   - Other TCP without a tracked connection: an outbound ACK/data packet is
//     picked up as established (conntrack's loose pick-up); an outbound FIN
//     or RST, and any inbound packet other than SYN, SYN-ACK (per policy) or
//     to a tracked connection, is dropped ("tcp-no-conn") and creates nothing.
//   - ICMP echo: RFC 5508 REQ-1, the identifier is mapped like a port (per
//     Mapping, with remote addresses only); Behavior.ICMPTimeout (REQ-2,
//     default 60 s). ICMP errors (REQ-3, REQ-4) go through InboundICMPError
//     and OutboundICMPError, which translate both the outer and the quoted
//     packet; an error is not filtered by its own source but its quoted
//     packet must match a live mapping (and pass its filter); errors neither
//     create nor refresh mappings.
//   - Behavior.MaxPerHost, MaxTotal: limits on dynamic mappings
//     ("limit-per-host", "limit-total"); static mappings are not counted.
//     Running out of ports is "port-exhausted". Before any of these drops the
//     table expires what is due and tries again.
//   - Static mappings (AddPortMapping): Lifetime 0 is permanent; they forward
//     inbound whatever Behavior.Filtering says (an explicit forward) but only
//     from PortMapping.Remote when set. Outbound packets from their internal
//     endpoint (to Remote, when set) leave from the static external endpoint,
//     except a TCP connection already tracked on a dynamic mapping, which
//     keeps it. Outbound traffic does not extend their lease.
//   - Reset (reboot) and SetWAN (address change) lose every mapping, static
//     included; Stats are kept.
//
// # Time
//
// Table time is a time.Duration from any origin the caller picks. A mapping
// with expiry e is alive while now < e. Expire removes due mappings through a
// min-heap with lazy deletion (a refresh does not touch the heap); lookups
// also remove an expired mapping they meet, so a caller that never calls
// Expire still gets right answers, only a fuller table. Time never goes
// back: an earlier now counts as the latest seen.
//
// # Bad input
//
// A flow with an unknown protocol, an address that is not unicast IPv4, TCP
// or UDP port 0, SYN with FIN or RST, or a source on the wrong side (one of
// our WAN addresses going out or coming in; an inbound destination not ours)
// is dropped with a reason and changes nothing. The table never panics.
//
// # Not done here
//
// IPv6 (NAT66/NPTv6), fragments, checksums and header rewriting (the
// datapath's job), ALGs, the REQ-4 (RFC 5382) 6 s SYN hold, soft-paired
// pooling, port overloading (two mappings sharing one external endpoint),
// internal-source hairpinning, answering pings to the gateway itself
// ("icmp-to-self"), and per-remote filter ageing (a remote is admitted as long
// as the mapping lives). A mapping's peer set is not bounded.
package table
