package pcp

import "time"

// Epoch is a client's record of a server's epoch time, to detect a server
// that lost its mappings (rebooted, or renumbered without keeping them):
// its epoch went backwards, or advanced at a rate its own clock disagrees
// with. The clock is passed in.
type Epoch struct {
	seen   bool
	server uint32        // the last epoch time the server sent
	client time.Duration // the client's clock when it arrived
}

// ObservePCP records a response's epoch time, received at client time
// now, and reports whether the server lost state per RFC 6887 §8.5: its
// epoch is more than 1 s behind the previous one, or the two clocks'
// deltas disagree by more than 2 s plus 1/16.
func (e *Epoch) ObservePCP(server uint32, now time.Duration) (lost bool) {
	if e.seen {
		cd := int64((now - e.client) / time.Second)
		sd := int64(server) - int64(e.server)
		switch {
		case int64(server) < int64(e.server)-1:
			lost = true
		case cd+2 < sd-sd/16 || sd+2 < cd-cd/16:
			lost = true
		}
	}
	e.seen, e.server, e.client = true, server, now
	return lost
}

// ObservePMP records a NAT-PMP response's seconds since start of epoch and
// reports whether the gateway lost state per RFC 6886 §3.6: it is less than
// the previous value plus 7/8 of the client's elapsed time, minus 2 s.
func (e *Epoch) ObservePMP(server uint32, now time.Duration) (lost bool) {
	if e.seen {
		cd := int64((now - e.client) / time.Second)
		lost = int64(server) < int64(e.server)+cd*7/8-2
	}
	e.seen, e.server, e.client = true, server, now
	return lost
}

// Reset forgets the server (a new server, or after remapping everything).
func (e *Epoch) Reset() { *e = Epoch{} }
