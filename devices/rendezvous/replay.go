package rendezvous

// WindowSize is how far behind the highest sequence number a packet may
// arrive and still be accepted once (RFC 4303 §3.4.3 anti-replay window).
const WindowSize = 64

// Verdict is the replay window's answer for a sequence number.
type Verdict uint8

// Verdicts.
const (
	Fresh  Verdict = iota // never seen and inside or ahead of the window
	Replay                // seen already
	TooOld                // older than the window: cannot tell, refused
)

func (v Verdict) String() string {
	return [...]string{"fresh", "replay", "too old"}[v]
}

// Window is one receiving direction's anti-replay state: the highest
// sequence number accepted and a bitmap of the WindowSize numbers at and
// below it. The zero value accepts any sequence number from 1. Check before
// the (costly) decryption, Accept only after it authenticated, so a forged
// packet never moves the window.
type Window struct {
	top  uint64
	bits uint64 // bit i: top-i was accepted
}

// Check says what Accept would do with seq, without changing anything.
func (w *Window) Check(seq uint64) Verdict {
	switch {
	case seq == 0:
		return TooOld
	case seq > w.top:
		return Fresh
	case w.top-seq >= WindowSize:
		return TooOld
	case w.bits&(1<<(w.top-seq)) != 0:
		return Replay
	}
	return Fresh
}

// Accept records seq as received and returns the verdict it had; only a
// Fresh seq changes the window.
func (w *Window) Accept(seq uint64) Verdict {
	v := w.Check(seq)
	if v != Fresh {
		return v
	}
	if seq > w.top {
		shift := seq - w.top
		if shift >= WindowSize {
			w.bits = 0
		} else {
			w.bits <<= shift
		}
		w.top = seq
		w.bits |= 1
		return Fresh
	}
	w.bits |= 1 << (w.top - seq)
	return Fresh
}

// Top is the highest sequence number accepted.
func (w *Window) Top() uint64 { return w.top }
