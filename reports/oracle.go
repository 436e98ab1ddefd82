package reports

import "slices"

// dependence is an RFC 4787 mapping or filtering behaviour.
type dependence int

const (
	endpointIndependent dependence = iota
	addressDependent
	addressPortDependent
)

// natBehaviour is a NAT profile's mapping and filtering.
type natBehaviour struct{ mapping, filtering dependence }

// profileBehaviours are the built-in NAT profiles in RFC 4787 terms, with
// their default options: the userspace ones as nat/userspace/profiles.go
// defines them, the kernel ones as nftables masquerade behaves (linux:
// endpoint-independent mapping while the port is free, and conntrack lets
// in only replies of a flow; linux-fullcone adds a DNAT map open to
// anyone; linux-random picks a new port per flow). Profiles not listed
// (external, anything new) get no expectation.
var profileBehaviours = map[string]natBehaviour{
	"full-cone":            {endpointIndependent, endpointIndependent},
	"restricted-cone":      {endpointIndependent, addressDependent},
	"port-restricted-cone": {endpointIndependent, addressPortDependent},
	"symmetric":            {addressPortDependent, addressPortDependent},
	"cgnat":                {endpointIndependent, addressPortDependent},
	"linux":                {endpointIndependent, addressPortDependent},
	"linux-fullcone":       {endpointIndependent, endpointIndependent},
	"linux-random":         {addressPortDependent, addressPortDependent},
}

// CanPunch predicts whether seed 001's coordinated hole punching opens a
// direct path from a caller behind NAT profile caller to a callee behind
// callee: each side sends to the other's server-observed endpoint and
// answers the endpoint it hears from. known is false when a profile's
// behaviour is not in the table.
//
// A first packet from A reaches B when B's filter lets it in on the
// mapping B used towards the server: B filters nothing, or B's mapping is
// endpoint-independent (so B's own punches left from it towards A) and B
// filters by address only, or by address and port and A's mapping is
// endpoint-independent too (so A's packet comes from the port B punched
// to). The answer gets back when B's mapping is endpoint-independent (it
// leaves from the endpoint A punched to) or A does not filter by port. The
// path opens if either direction's first packet and its answer get through.
func CanPunch(caller, callee string) (punch, known bool) {
	a, okA := profileBehaviours[caller]
	b, okB := profileBehaviours[callee]
	if !okA || !okB {
		return false, false
	}
	return (reaches(a, b) && answers(b, a)) || (reaches(b, a) && answers(a, b)), true
}

// reaches reports whether from's first packet gets through to's NAT.
func reaches(from, to natBehaviour) bool {
	switch {
	case to.filtering == endpointIndependent:
		return true
	case to.mapping != endpointIndependent:
		return false
	case to.filtering == addressDependent:
		return true
	}
	return from.mapping == endpointIndependent
}

// answers reports whether the receiver's answer gets back to the sender.
func answers(receiver, sender natBehaviour) bool {
	return receiver.mapping == endpointIndependent || sender.filtering != addressPortDependent
}

func sortStrings(s []string) { slices.Sort(s) }
