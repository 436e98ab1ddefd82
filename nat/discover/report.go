package discover

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Behaviour is an RFC 4787 mapping or filtering behaviour.
type Behaviour string

// The behaviours of RFC 4787 §4.1 and §5, and "unknown" when a test could not decide.
const (
	EndpointIndependent     Behaviour = "endpoint-independent"
	AddressDependent        Behaviour = "address-dependent"
	AddressAndPortDependent Behaviour = "address-and-port-dependent"
	Unknown                 Behaviour = "unknown"
)

// Report is what Probe found. Durations are simulated time (the Options
// clock) and marshal to JSON as nanoseconds.
type Report struct {
	Server      netip.AddrPort `json:"server"`
	Other       netip.AddrPort `json:"other_address,omitzero"` // the server's OTHER-ADDRESS
	Local       netip.AddrPort `json:"local"`                  // the first socket's local address
	Mapped      netip.AddrPort `json:"mapped,omitzero"`        // how the server saw it
	NATDetected bool           `json:"nat_detected"`

	Mapping          Behaviour `json:"mapping"`
	Filtering        Behaviour `json:"filtering"`
	PortPreservation bool      `json:"port_preservation"`
	Hairpinning      bool      `json:"hairpinning"`
	// MappingLifetime is the idle time after which a UDP mapping stops
	// passing inbound packets, within Options.Precision; 0 if not measured.
	MappingLifetime time.Duration `json:"mapping_lifetime_ns"`
	// MappingLifetimeAbove is set instead when a mapping outlived the bound.
	MappingLifetimeAbove time.Duration `json:"mapping_lifetime_above_ns,omitempty"`

	Observations   []Observation   `json:"observations"`
	LifetimeTrials []LifetimeTrial `json:"lifetime_trials,omitempty"`
	Notes          []string        `json:"notes,omitempty"` // why something is unknown
}

// Observation is one STUN transaction of the probe.
type Observation struct {
	Test       string         `json:"test"` // e.g. "mapping II", "filtering III", "hairpin"
	Local      netip.AddrPort `json:"local"`
	To         netip.AddrPort `json:"to"`
	ChangeIP   bool           `json:"change_ip,omitempty"`
	ChangePort bool           `json:"change_port,omitempty"`
	Answered   bool           `json:"answered"`
	Mapped     netip.AddrPort `json:"mapped,omitzero"`
	From       netip.AddrPort `json:"from,omitzero"` // the answer's source address
	Sends      int            `json:"sends"`         // 1 + retransmissions
	RTT        time.Duration  `json:"rtt_ns,omitempty"`
}

// LifetimeTrial is one idle-then-probe measurement of a fresh mapping.
type LifetimeTrial struct {
	Idle  time.Duration `json:"idle_ns"`
	Alive bool          `json:"alive"`
}

// String is the report for humans.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server            %v (other %v)\n", r.Server, orNone(r.Other))
	fmt.Fprintf(&b, "local → mapped    %v → %v", r.Local, orNone(r.Mapped))
	if !r.NATDetected {
		b.WriteString(" (no NAT)")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "mapping           %s\n", r.Mapping)
	fmt.Fprintf(&b, "filtering         %s\n", r.Filtering)
	fmt.Fprintf(&b, "port preservation %s\n", yesNo(r.PortPreservation))
	fmt.Fprintf(&b, "hairpinning       %s\n", yesNo(r.Hairpinning))
	switch {
	case r.MappingLifetime > 0:
		fmt.Fprintf(&b, "mapping lifetime  %v\n", r.MappingLifetime.Round(time.Millisecond))
	case r.MappingLifetimeAbove > 0:
		fmt.Fprintf(&b, "mapping lifetime  more than %v\n", r.MappingLifetimeAbove)
	default:
		b.WriteString("mapping lifetime  not measured\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

func orNone(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return "none"
	}
	return ap.String()
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}
