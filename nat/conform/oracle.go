package conform

// Expect is what a profile is expected to do on one requirement.
type Expect struct {
	Complies   bool
	Applicable bool
	Behaviour  string // if set, the outcome's Behaviour must equal it
	Why        string // where the expectation comes from
}

// Expectations of the kernel profiles, from Linux's documented behaviour
// (nf_nat masquerade: endpoint-independent mapping with port preservation
// while the 5-tuple is unique, conntrack filtering by the full 5-tuple,
// random port on a clash, no hairpinning, conntrack timeouts UDP 30 s
// unreplied / 120 s stream and ICMP 30 s) and fully-random (a random port
// per connection). The full-cone profile adds a DNAT map refreshed by
// outbound packets with a 120 s (UDP) and 7440 s (TCP) timeout.
var kernelExpect = map[string]map[string]Expect{
	"linux":          kernelCommon("EIM", "APDF", false),
	"linux-random":   kernelCommon("APDM", "APDF", false),
	"linux-fullcone": kernelCommon("EIM", "EIF", true),
}

func kernelCommon(mapping, filtering string, fullcone bool) map[string]Expect {
	eim, eif := mapping == "EIM", filtering == "EIF"
	preserved := "preserved" // masquerade keeps a free source port
	if !eim {
		preserved = "not preserved" // fully-random
	}
	det := Expect{Complies: false, Applicable: true, Behaviour: "not deterministic",
		Why: "masquerade keeps 5-tuples unique, not mappings: when another host holds the port towards one destination, a new destination gets another port"}
	if !eim {
		det = Expect{Complies: true, Applicable: true, Behaviour: "deterministic", Why: "a random port per destination, always"}
	}
	return map[string]Expect{
		"RFC4787 REQ-1":  {Complies: eim, Applicable: true, Behaviour: mapping},
		"RFC4787 REQ-2":  {Applicable: false, Why: "one WAN address"},
		"RFC4787 REQ-3":  {Complies: true, Applicable: true, Behaviour: "no overloading, port " + preserved, Why: "nf_nat picks another port on a 5-tuple clash"},
		"RFC4787 REQ-4":  {Complies: false, Applicable: true, Behaviour: "parity not preserved", Why: "nf_nat picks a random port on a clash"},
		"RFC4787 REQ-5":  {Complies: fullcone, Applicable: true, Why: "conntrack: 30 s for a flow with one reply, 120 s once it is a stream; the full-cone map keeps 120 s from the last outbound packet"},
		"RFC4787 REQ-6":  {Complies: true, Applicable: true, Behaviour: "outbound+inbound refresh", Why: "conntrack refreshes on packets in both directions"},
		"RFC4787 REQ-8":  {Complies: eif, Applicable: true, Behaviour: filtering},
		"RFC4787 REQ-9":  {Complies: false, Applicable: true, Behaviour: "no hairpinning", Why: "masquerade has no hairpin DNAT"},
		"RFC4787 REQ-10": {Complies: true, Applicable: true, Behaviour: "no ALG", Why: "conntrack helpers are not assigned automatically"},
		"RFC4787 REQ-11": det,
		"RFC4787 REQ-12": {Complies: true, Applicable: true, Behaviour: "mapping kept"},
		"RFC4787 REQ-13": {Complies: true, Applicable: true, Behaviour: "fragments, frag-needed"},
		"RFC4787 REQ-14": {Complies: true, Applicable: true, Behaviour: "reassembles any order", Why: "conntrack defragments before NAT"},
		"RFC5382 REQ-1":  {Complies: eim, Applicable: true, Behaviour: mapping},
		"RFC5382 REQ-2":  {Complies: true, Applicable: true, Behaviour: "simultaneous open", Why: "conntrack follows a SYN in the reply direction (SYN_SENT2) and the forward filter admits replies"},
		"RFC5382 REQ-3":  {Complies: eif, Applicable: true, Behaviour: filtering},
		"RFC5382 REQ-4":  {Complies: false, Applicable: true, Behaviour: "answered early", Why: "the gateway's own TCP stack answers a SYN to a port nobody uses with RST"},
		"RFC5382 REQ-5":  {Complies: true, Applicable: true, Why: "conntrack established timeout 5 days"},
		"RFC5382 REQ-6":  {Complies: true, Applicable: true, Behaviour: "no ALG", Why: "conntrack helpers are not assigned automatically"},
		"RFC5382 REQ-7":  {Complies: true, Applicable: true, Behaviour: "no overloading", Why: "nf_nat keeps 5-tuples unique"},
		"RFC5382 REQ-8":  {Complies: false, Applicable: true, Behaviour: "no hairpinning", Why: "masquerade has no hairpin DNAT"},
		"RFC5382 REQ-9":  {Complies: true, Applicable: true, Behaviour: "translated", Why: "conntrack translates ICMP errors RELATED to a connection"},
		"RFC5382 REQ-10": {Complies: true, Applicable: true, Behaviour: "connection kept", Why: "ICMP errors do not end a conntrack entry"},
		"RFC5508 REQ-1":  echoExpect(eim),
		"RFC5508 REQ-2":  {Complies: false, Applicable: true, Why: "conntrack ICMP timeout 30 s"},
		"RFC5508 REQ-3":  {Complies: true, Applicable: true, Behaviour: "bad checksum dropped", Why: "conntrack validates ICMP checksums (nf_conntrack_checksum) and does not translate an invalid error"},
		"RFC5508 REQ-4":  {Complies: true, Applicable: true, Behaviour: "translated"},
		"RFC5508 REQ-5":  {Complies: true, Applicable: true, Behaviour: "translated"},
		"RFC5508 REQ-6":  {Complies: true, Applicable: true, Behaviour: "session kept", Why: "ICMP errors do not end a conntrack entry"},
	}
}

// Expected returns the expectations of a profile with its default options,
// or false if there is no oracle for it (its outcomes are then reported, not
// judged).
func Expected(profile string) (map[string]Expect, bool) {
	return ExpectedFor(Target{Profile: profile})
}

// ExpectedFor returns the expectations of a target: for a userspace NAT,
// derived from the behaviour its profile and nat_options configure
// (ExpectedFromBehavior); for a kernel profile without options, Linux's
// documented behaviour; otherwise none.
func ExpectedFor(t Target) (map[string]Expect, bool) {
	if b, ok, err := BehaviorOf(t); err == nil && ok {
		e := ExpectedFromBehavior(b)
		return e, e != nil
	}
	if t.Options != "" {
		return nil, false
	}
	e, ok := kernelExpect[t.Profile]
	return e, ok
}

// Judge compares an outcome with an expectation: did the NAT behave as its
// profile claims?
func Judge(o Outcome, e Expect) bool {
	if o.Err != "" || o.Applicable != e.Applicable {
		return false
	}
	if !o.Applicable {
		return true
	}
	return o.Complies == e.Complies && (e.Behaviour == "" || e.Behaviour == o.Behaviour)
}

// echoExpect: fully-random also randomises ICMP echo identifiers per
// destination (REQ-1a, a SHOULD, is then not met; REQ-1 itself is).
func echoExpect(eim bool) Expect {
	if eim {
		return Expect{Complies: true, Applicable: true, Behaviour: "echo passes"}
	}
	return Expect{Complies: true, Applicable: true, Behaviour: "echo passes, id per host", Why: "fully-random maps ICMP identifiers per destination too"}
}
