package table

import "time"

// tcpConn is the RFC 5382 state of one TCP connection through a mapping: the
// SYN, FIN and RST seen in each direction.
type tcpConn struct {
	bits    uint8
	expires time.Duration
}

const (
	synOut uint8 = 1 << iota
	synIn
	finOut
	finIn
	rstSeen
	established
)

// TCP states reported in Mapping.State.
const (
	StateSynSent     = "syn-sent"    // SYN out, nothing back yet
	StateSynRecv     = "syn-recv"    // SYN in (inbound-initiated or a SYN-ACK let through by MapSynAck)
	StateSynBoth     = "syn-both"    // SYN seen both ways, final ACK not yet
	StateEstablished = "established" // handshake done
	StateFinWait     = "fin-wait"    // FIN seen one way
	StateClosing     = "closing"     // FIN seen both ways
	StateClosed      = "closed"      // RST seen
)

func (c *tcpConn) state() string {
	switch b := c.bits; {
	case b&rstSeen != 0:
		return StateClosed
	case b&finOut != 0 && b&finIn != 0:
		return StateClosing
	case b&(finOut|finIn) != 0:
		return StateFinWait
	case b&established != 0:
		return StateEstablished
	case b&synOut != 0 && b&synIn != 0:
		return StateSynBoth
	case b&synOut != 0:
		return StateSynSent
	default:
		return StateSynRecv
	}
}

// isEstablished says whether the established idle timeout applies (RFC 5382
// REQ-5); every other state is transitory.
func (c *tcpConn) isEstablished() bool {
	return c.bits&established != 0 && c.bits&(finOut|finIn|rstSeen) == 0
}

// update records a packet with flags going out (out) or coming in.
func (c *tcpConn) update(flags uint8, out bool) {
	if flags&RST != 0 {
		c.bits |= rstSeen
		return
	}
	syn, fin := synIn, finIn
	if out {
		syn, fin = synOut, finOut
	}
	if flags&SYN != 0 {
		if c.bits&(rstSeen|finOut|finIn|established) != 0 {
			c.bits = 0 // a new connection on the same endpoints
		}
		c.bits |= syn
	}
	if flags&FIN != 0 {
		c.bits |= fin
	}
	if flags&ACK != 0 && flags&SYN == 0 && c.bits&synOut != 0 && c.bits&synIn != 0 {
		c.bits |= established
	}
}

// tcpVerdict decides whether a TCP packet may pass, given the live connection
// (nil if none) and whether the filter admits the remote. It returns "" to
// pass or a drop reason. See doc.go for the table this implements.
func (t *Table) tcpVerdict(c *tcpConn, flags uint8, out, admitted bool) string {
	if c == nil && !admitted {
		return ReasonFiltered
	}
	switch {
	case flags&RST != 0:
		if c == nil {
			return ReasonTCPNoConn
		}
	case flags&SYN != 0 && flags&ACK == 0:
		// A new connection, or (inbound) simultaneous open, RFC 5382 REQ-2.
	case flags&SYN != 0:
		theirSyn := synIn
		if !out {
			theirSyn = synOut
		}
		if c != nil && c.bits&theirSyn != 0 {
			return ""
		}
		if t.b.InboundSynAck == DropSynAck {
			return ReasonSynAck
		}
	case c == nil && (!out || flags&FIN != 0 || flags&ACK == 0):
		return ReasonTCPNoConn
	}
	return ""
}
