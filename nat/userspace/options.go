package userspace

import (
	"fmt"
	"slices"
	"time"

	"github.com/boxlab/boxlab/nat/table"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Options are a userspace profile's behaviour and impairments as a
// scenario's nat_options override them; a fresh value holds the profile's
// defaults. Zero durations and ports mean the table's RFC defaults.
type Options struct {
	Mapping        string            `yaml:"mapping"`   // eim, adm, apdm
	Filtering      string            `yaml:"filtering"` // eif, adf, apdf
	Ports          string            `yaml:"ports"`     // preserve, sequential, random
	Parity         bool              `yaml:"parity"`
	PortMin        int               `yaml:"port_min"`
	PortMax        int               `yaml:"port_max"`
	Pooling        string            `yaml:"pooling"` // paired, arbitrary
	UDPTimeout     scenario.Duration `yaml:"udp_timeout"`
	InboundRefresh bool              `yaml:"inbound_refresh"`
	TCPEstablished scenario.Duration `yaml:"tcp_established"`
	TCPTransitory  scenario.Duration `yaml:"tcp_transitory"`
	InboundSynAck  string            `yaml:"inbound_syn_ack"` // drop, map
	Hairpin        bool              `yaml:"hairpin"`
	ICMPTimeout    scenario.Duration `yaml:"icmp_timeout"`
	MaxPerHost     int               `yaml:"max_per_host"`
	MaxTotal       int               `yaml:"max_total"`
	WAN            ImpairOptions     `yaml:"wan"` // what the gateway sends out of its WAN
	LAN            ImpairOptions     `yaml:"lan"` // what it sends to its LANs
}

// ImpairOptions are one side's impairments in a scenario.
type ImpairOptions struct {
	Loss   float64           `yaml:"loss"` // percent
	Delay  scenario.Duration `yaml:"delay"`
	Jitter scenario.Duration `yaml:"jitter"`
	Rate   uint64            `yaml:"rate"`  // bits per second
	Burst  int               `yaml:"burst"` // bytes
}

var (
	dependences = []string{"ei", "ad", "apd"} // + "m" or "f"
	portNames   = []string{"preserve", "sequential", "random"}
	poolNames   = []string{"paired", "arbitrary"}
	synAckNames = []string{"drop", "map"}
)

// OptionsOf returns the options that give behaviour b.
func OptionsOf(b table.Behavior) *Options {
	return &Options{
		Mapping: dependences[b.Mapping] + "m", Filtering: dependences[b.Filtering] + "f",
		Ports: portNames[b.Ports], Parity: b.Parity, PortMin: int(b.PortMin), PortMax: int(b.PortMax),
		Pooling: poolNames[b.Pooling], UDPTimeout: scenario.Duration(b.UDPTimeout), InboundRefresh: b.InboundRefresh,
		TCPEstablished: scenario.Duration(b.TCPEstablished), TCPTransitory: scenario.Duration(b.TCPTransitory),
		InboundSynAck: synAckNames[b.InboundSynAck], Hairpin: b.Hairpin, ICMPTimeout: scenario.Duration(b.ICMPTimeout),
		MaxPerHost: b.MaxPerHost, MaxTotal: b.MaxTotal,
	}
}

// Check validates the options (scenario.OptionsChecker).
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	oneOf := func(field, v string, names []string) {
		if !slices.Contains(names, v) {
			errs = append(errs, scenario.FieldError{Field: field, Msg: fmt.Sprintf("want one of %v; got %q", names, v)})
		}
	}
	oneOf("mapping", o.Mapping, []string{"eim", "adm", "apdm"})
	oneOf("filtering", o.Filtering, []string{"eif", "adf", "apdf"})
	oneOf("ports", o.Ports, portNames)
	oneOf("pooling", o.Pooling, poolNames)
	oneOf("inbound_syn_ack", o.InboundSynAck, synAckNames)
	for _, p := range []struct {
		field string
		v     int
	}{{"port_min", o.PortMin}, {"port_max", o.PortMax}} {
		if p.v < 0 || p.v > 65535 {
			errs = append(errs, scenario.FieldError{Field: p.field, Msg: fmt.Sprintf("want a port 0..65535; got %d", p.v)})
		}
	}
	if o.PortMin > 0 && o.PortMax > 0 && o.PortMin > o.PortMax {
		errs = append(errs, scenario.FieldError{Field: "port_max", Msg: fmt.Sprintf("want >= port_min %d; got %d", o.PortMin, o.PortMax)})
	}
	for _, s := range []struct {
		field string
		im    ImpairOptions
	}{{"wan", o.WAN}, {"lan", o.LAN}} {
		if s.im.Loss < 0 || s.im.Loss > 100 {
			errs = append(errs, scenario.FieldError{Field: s.field, Msg: fmt.Sprintf("loss: want a percentage 0..100; got %g", s.im.Loss)})
		}
		if s.im.Delay < 0 || s.im.Jitter < 0 || s.im.Burst < 0 {
			errs = append(errs, scenario.FieldError{Field: s.field, Msg: "delay, jitter and burst must not be negative"})
		}
	}
	return errs
}

// Behavior is the table behaviour the options describe; call after Check.
func (o *Options) Behavior() table.Behavior {
	dep := func(s string) table.Dependence {
		return table.Dependence(max(0, slices.Index(dependences, s[:len(s)-1])))
	}
	return table.Behavior{
		Mapping: dep(o.Mapping), Filtering: dep(o.Filtering),
		Ports: table.PortAssignment(max(0, slices.Index(portNames, o.Ports))), Parity: o.Parity,
		PortMin: uint16(o.PortMin), PortMax: uint16(o.PortMax),
		Pooling:    table.Pooling(max(0, slices.Index(poolNames, o.Pooling))),
		UDPTimeout: time.Duration(o.UDPTimeout), InboundRefresh: o.InboundRefresh,
		TCPEstablished: time.Duration(o.TCPEstablished), TCPTransitory: time.Duration(o.TCPTransitory),
		InboundSynAck: table.SynAckPolicy(max(0, slices.Index(synAckNames, o.InboundSynAck))),
		Hairpin:       o.Hairpin, ICMPTimeout: time.Duration(o.ICMPTimeout),
		MaxPerHost: o.MaxPerHost, MaxTotal: o.MaxTotal,
	}
}

// Impairments are the impairments the options describe.
func (o *Options) Impairments() Impairments {
	side := func(im ImpairOptions) Impair {
		return Impair{Loss: im.Loss, Delay: time.Duration(im.Delay), Jitter: time.Duration(im.Jitter), Rate: im.Rate, Burst: im.Burst}
	}
	return Impairments{WAN: side(o.WAN), LAN: side(o.LAN)}
}
