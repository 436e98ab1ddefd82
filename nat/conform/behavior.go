package conform

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/boxlab/boxlab/nat/table"
	"github.com/boxlab/boxlab/nat/userspace"
	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
)

// ExpectedFromBehavior is the oracle of a userspace NAT: what a gateway
// running the table with behaviour b must show on each requirement, derived
// from b's fields (zero fields are the table's defaults). It returns nil if
// b is not a valid behaviour.
func ExpectedFromBehavior(b table.Behavior) map[string]Expect {
	b, ok := withDefaults(b)
	if !ok {
		return nil
	}
	eim, eif := b.Mapping == table.EndpointIndependent, b.Filtering == table.EndpointIndependent
	mapping, filtering := mappingLabel(b.Mapping), filteringLabel(b.Filtering)
	passes := func(behaviour, why string) Expect {
		return Expect{Complies: true, Applicable: true, Behaviour: behaviour, Why: why}
	}
	return map[string]Expect{
		"RFC4787 REQ-1": {Complies: eim, Applicable: true, Behaviour: mapping, Why: "Behavior.Mapping"},
		"RFC4787 REQ-2": {Applicable: false, Why: "one WAN address"},
		"RFC4787 REQ-3": overloadingExpect(b),
		"RFC4787 REQ-4": parityExpect(b),
		"RFC4787 REQ-5": {Complies: b.UDPTimeout >= 2*time.Minute, Applicable: true, Behaviour: lifetimeLabel(lifetimeProbes, b.UDPTimeout),
			Why: fmt.Sprintf("Behavior.UDPTimeout %v", b.UDPTimeout)},
		"RFC4787 REQ-6":  refreshExpect(b),
		"RFC4787 REQ-8":  {Complies: eif || b.Filtering == table.AddressDependent, Applicable: true, Behaviour: filtering, Why: "Behavior.Filtering"},
		"RFC4787 REQ-9":  hairpinExpect(b),
		"RFC4787 REQ-10": passes("no ALG", "the datapath never reads payloads"),
		"RFC4787 REQ-11": passes("deterministic", "the table decides from the behaviour alone"),
		"RFC4787 REQ-12": passes("mapping kept", "ICMP errors neither create nor remove mappings"),
		"RFC4787 REQ-13": {Complies: false, Applicable: true, Behaviour: "fails", Why: "the datapath neither fragments nor sends ICMP Fragmentation Needed: an oversize datagram is dropped"},
		"RFC4787 REQ-14": {Complies: false, Applicable: true, Behaviour: "fails", Why: "the datapath drops fragments"},
		"RFC5382 REQ-1":  {Complies: eim, Applicable: true, Behaviour: mapping, Why: "Behavior.Mapping"},
		"RFC5382 REQ-2":  passes("simultaneous open", "the table admits an inbound SYN on a connection with an outbound SYN from the same endpoints"),
		"RFC5382 REQ-3":  {Complies: eif || b.Filtering == table.AddressDependent, Applicable: true, Behaviour: filtering, Why: "Behavior.Filtering"},
		"RFC5382 REQ-4":  passes("silent", "an unsolicited SYN is dropped and the kernel owns no WAN traffic"),
		"RFC5382 REQ-5": {Complies: b.TCPEstablished >= 2*time.Hour+4*time.Minute, Applicable: true,
			Why: fmt.Sprintf("Behavior.TCPEstablished %v", b.TCPEstablished)},
		"RFC5382 REQ-6":  passes("no ALG", "the datapath never reads payloads"),
		"RFC5382 REQ-7":  passes("no overloading", "each mapping has its own external endpoint"),
		"RFC5382 REQ-8":  hairpinExpect(b),
		"RFC5382 REQ-9":  passes("translated", "outer and quoted packets translated"),
		"RFC5382 REQ-10": passes("connection kept", "ICMP errors neither create nor remove mappings or connections"),
		"RFC5508 REQ-1":  echoExpect(eim),
		"RFC5508 REQ-2": {Complies: b.ICMPTimeout >= time.Minute, Applicable: true, Behaviour: lifetimeLabel(queryProbes, b.ICMPTimeout),
			Why: fmt.Sprintf("Behavior.ICMPTimeout %v", b.ICMPTimeout)},
		"RFC5508 REQ-3": passes("bad checksum dropped", "the datapath verifies ICMP checksums"),
		"RFC5508 REQ-4": passes("translated", "outer and quoted packets translated"),
		"RFC5508 REQ-5": passes("translated", "outer and quoted packets translated"),
		"RFC5508 REQ-6": passes("session kept", "ICMP errors neither create nor remove mappings"),
	}
}

// withDefaults fills b's zero fields as the table does.
func withDefaults(b table.Behavior) (table.Behavior, bool) {
	t, err := table.New(b, []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, 1})}, 0)
	if err != nil {
		return b, false
	}
	return t.Behavior(), true
}

func mappingLabel(d table.Dependence) string {
	return [...]string{"EIM", "ADM", "APDM"}[d]
}

func filteringLabel(d table.Dependence) string {
	return [...]string{"EIF", "ADF", "APDF"}[d]
}

// overloadingExpect: each mapping has its own external endpoint; the first
// host's port 40000 is kept when Behavior.Ports is Preserve and it lies in
// the port range.
func overloadingExpect(b table.Behavior) Expect {
	label := "no overloading, port not preserved"
	if b.Ports == table.Preserve && b.PortMin <= 40000 && 40000 <= b.PortMax {
		label = "no overloading, port preserved"
	}
	return Expect{Complies: true, Applicable: true, Behaviour: label, Why: fmt.Sprintf("Behavior.Ports %s", portsName(b.Ports))}
}

func portsName(p table.PortAssignment) string {
	return [...]string{"preserve", "sequential", "random"}[p]
}

// parityExpect: the check makes two hosts contend for the same ports in an
// order where only a parity-aware allocator keeps every parity.
func parityExpect(b table.Behavior) Expect {
	if b.Parity {
		return Expect{Complies: true, Applicable: true, Behaviour: "parity preserved", Why: "Behavior.Parity"}
	}
	return Expect{Complies: false, Applicable: true, Behaviour: "parity not preserved", Why: "Behavior.Parity off: a remapped port takes the next free one, whatever its parity"}
}

// refreshExpect follows checkRefresh: datagrams every refreshEvery during
// refreshWindow, then a probe of each mapping.
func refreshExpect(b table.Behavior) Expect {
	why := fmt.Sprintf("Behavior.UDPTimeout %v, InboundRefresh %v", b.UDPTimeout, b.InboundRefresh)
	switch {
	case b.UDPTimeout >= refreshWindow:
		return Expect{Applicable: false, Why: why + ": a mapping outlives the window without refresh"}
	case b.UDPTimeout <= refreshEvery:
		return Expect{Complies: false, Applicable: true, Behaviour: "no outbound refresh", Why: why + ": the mapping expires between two datagrams"}
	}
	label := "outbound refresh"
	if b.InboundRefresh {
		label = "outbound+inbound refresh"
	}
	return Expect{Complies: true, Applicable: true, Behaviour: label, Why: why}
}

// hairpinExpect: a hairpinned packet goes out through the sender's mapping
// and in through the target's, whose filter must admit the sender's
// external endpoint. checkHairpin has both hosts send to each other, so an
// endpoint-independent mapping opens every filter for the second round; a
// dependent mapping sends from a new endpoint that only an
// endpoint-independent filter admits.
func hairpinExpect(b table.Behavior) Expect {
	switch {
	case !b.Hairpin:
		return Expect{Complies: false, Applicable: true, Behaviour: "no hairpinning", Why: "Behavior.Hairpin off"}
	case b.Mapping != table.EndpointIndependent && b.Filtering != table.EndpointIndependent:
		return Expect{Complies: false, Applicable: true, Behaviour: "no hairpinning",
			Why: "Behavior.Hairpin on, but each host reaches the other from a new mapping that the other's filter never admits"}
	}
	return Expect{Complies: true, Applicable: true, Behaviour: "hairpinning", Why: "Behavior.Hairpin, external-source"}
}

// targetBehaviors caches BehaviorOf by target.
var targetBehaviors sync.Map // Target → behaviorResult

type behaviorResult struct {
	b   table.Behavior
	ok  bool
	err error
}

// BehaviorOf returns the table behaviour of t's gateway when its profile is
// a userspace NAT: the profile's defaults with t.Options applied, decoded as
// a scenario's nat_options are. ok is false for other NATs.
func BehaviorOf(t Target) (b table.Behavior, ok bool, err error) {
	if v, hit := targetBehaviors.Load(t); hit {
		r := v.(behaviorResult)
		return r.b, r.ok, r.err
	}
	b, ok, err = behaviorOf(t)
	targetBehaviors.Store(t, behaviorResult{b, ok, err})
	return b, ok, err
}

func behaviorOf(t Target) (table.Behavior, bool, error) {
	cat, err := runner.DefaultCatalog()
	if err != nil {
		return table.Behavior{}, false, err
	}
	if _, ok := cat.NAT[t.Profile]; !ok {
		return table.Behavior{}, false, nil
	}
	s, err := scenario.Parse("nat-conform.yaml", []byte(Scenario(t, 1)), cat)
	if err != nil {
		return table.Behavior{}, false, err
	}
	o, ok := s.Topology.Homes[0].NATOptions.Value.(*userspace.Options)
	if !ok {
		return table.Behavior{}, false, nil
	}
	return o.Behavior(), true, nil
}
