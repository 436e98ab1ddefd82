package stb

import "time"

// rtoFloor is the smallest (and the initial) retransmission timeout of a
// keepalive: 2 s of simulated time, the timer the box always used. RFC 5389
// §7.2.1 asks for an initial RTO above 500 ms; RFC 3489 §9.3 starts at
// 100 ms. The estimator below only ever lengthens it.
const rtoFloor = 2 * time.Second

// rtoCeiling bounds the estimate (RFC 6298 §2.5 allows a maximum of at
// least 60 s); a keepalive's retransmissions also stop at its period.
const rtoCeiling = 60 * time.Second

// rtoStale is how long a cached estimate lives without a new sample
// (RFC 5389 §7.2.1: "SHOULD be considered stale and discarded after 10
// minutes").
const rtoStale = 10 * time.Minute

// rto estimates a STUN client's retransmission timeout from the round trips
// of its transactions with one server, as RFC 5389 §7.2.1 asks: RFC 6298
// smoothing (SRTT, RTTVAR, RTO = SRTT + 4·RTTVAR) at 1 ms accuracy, no
// rounding up to a second, the value cached between transactions and
// discarded after 10 minutes without a sample. Samples come only from
// transactions answered before any retransmission (Karn's rule, RFC 6298
// §3): the caller passes only those. Pure: time is passed in.
type rto struct {
	srtt, rttvar time.Duration
	last         time.Duration // when the last sample was taken
	valid        bool
}

// sample records the round trip r of a transaction answered at now.
func (e *rto) sample(r, now time.Duration) {
	if r < 0 {
		return
	}
	if !e.valid || now-e.last > rtoStale {
		e.srtt, e.rttvar, e.valid = r, r/2, true
	} else {
		d := e.srtt - r
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.last = now
}

// timeout is the first retransmission timeout of a transaction started at
// now: the estimate, at least rtoFloor, at most rtoCeiling.
func (e *rto) timeout(now time.Duration) time.Duration {
	if !e.valid || now-e.last > rtoStale {
		return rtoFloor
	}
	return min(max(e.srtt+4*e.rttvar, rtoFloor), rtoCeiling)
}
