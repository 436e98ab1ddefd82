package mapmon

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The control channel's messages (text, one per UDP datagram).
const (
	ReplyOK    = "OK"    // report received, mapping valid (or not judged yet)
	ReplyRemap = "REMAP" // the mapping failed its probe: map again
	maxReport  = 512     // longest report read
)

// Probe protocols a device may report.
const (
	ProbeUDP = "udp" // PING/PONG datagrams to the mapped UDP port
	ProbeTCP = "tcp" // a TCP connect to the mapped TCP port
)

// Report is a device's mapping report: "MAP <node> <ip:port> [udp|tcp]".
type Report struct {
	Node     string         // the reporting device's node name
	External netip.AddrPort // its mapping's external endpoint
	Probe    string         // ProbeUDP (default) or ProbeTCP
}

// String is the report on the wire; a UDP report omits its protocol, as
// devices before TCP probes sent it.
func (r Report) String() string {
	if r.Probe == ProbeTCP {
		return fmt.Sprintf("MAP %s %s %s", r.Node, r.External, r.Probe)
	}
	return fmt.Sprintf("MAP %s %s", r.Node, r.External)
}

// ParseReport parses a report datagram; ok is false for anything else
// (bad input is dropped, never a panic).
func ParseReport(b []byte) (r Report, ok bool) {
	if len(b) > maxReport {
		return r, false
	}
	f := strings.Fields(string(b))
	if len(f) < 3 || len(f) > 4 || f[0] != "MAP" || len(f[1]) > 253 {
		return r, false
	}
	ext, err := netip.ParseAddrPort(f[2])
	if err != nil || ext.Port() == 0 || !ext.Addr().Unmap().Is4() {
		return r, false
	}
	r = Report{Node: f[1], External: netip.AddrPortFrom(ext.Addr().Unmap(), ext.Port()), Probe: ProbeUDP}
	if len(f) == 4 {
		if f[3] != ProbeUDP && f[3] != ProbeTCP {
			return Report{}, false
		}
		r.Probe = f[3]
	}
	return r, true
}

// Ping is the UDP probe of round seq.
func Ping(seq uint64) []byte { return fmt.Appendf(nil, "PING %d", seq) }

// Pong answers a probe: the reply to "PING <seq>" is "PONG <seq>"; ok is
// false for anything that is not a probe.
func Pong(b []byte) (reply []byte, ok bool) {
	seq, ok := parseSeq(b, "PING ")
	if !ok {
		return nil, false
	}
	return fmt.Appendf(nil, "PONG %d", seq), true
}

// ParsePong reads the round of a "PONG <seq>" answer.
func ParsePong(b []byte) (uint64, bool) { return parseSeq(b, "PONG ") }

func parseSeq(b []byte, prefix string) (uint64, bool) {
	s, ok := strings.CutPrefix(string(b), prefix)
	if !ok || s == "" || len(s) > 20 {
		return 0, false
	}
	seq, err := strconv.ParseUint(s, 10, 64)
	return seq, err == nil
}
