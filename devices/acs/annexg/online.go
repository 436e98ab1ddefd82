package annexg

import (
	"sort"
	"time"
)

// Transition is a change of a device's online state.
type Transition struct {
	Device  string
	Online  bool
	At      time.Duration // when the tracker noticed
	Silence time.Duration // offline: time since the last keepalive
}

// Tracker keeps every device's online state (seed 000 step 3): online on a
// valid keepalive, offline once Missed periods pass without one. Pure: the
// caller passes the time and serialises calls.
type Tracker struct {
	Missed int // periods without a keepalive before a device is offline; default 3
	devs   map[string]*track
}

type track struct {
	last   time.Duration
	period time.Duration
	online bool
}

// Seen records a valid keepalive of device at now with its current period;
// it returns the online transition if the device was not online.
func (t *Tracker) Seen(device string, now, period time.Duration) (Transition, bool) {
	if t.devs == nil {
		t.devs = map[string]*track{}
	}
	d, ok := t.devs[device]
	if !ok {
		d = &track{}
		t.devs[device] = d
	}
	d.last, d.period = now, period
	if d.online {
		return Transition{}, false
	}
	d.online = true
	return Transition{Device: device, Online: true, At: now}, true
}

// Expire returns, sorted by device, every device that goes offline at now.
func (t *Tracker) Expire(now time.Duration) []Transition {
	missed := t.Missed
	if missed <= 0 {
		missed = 3
	}
	var out []Transition
	for name, d := range t.devs {
		if d.online && now-d.last > time.Duration(missed)*d.period {
			d.online = false
			out = append(out, Transition{Device: name, Online: false, At: now, Silence: now - d.last})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out
}

// Online reports whether device is online.
func (t *Tracker) Online(device string) bool {
	d, ok := t.devs[device]
	return ok && d.online
}

// Count is how many devices are online.
func (t *Tracker) Count() int {
	n := 0
	for _, d := range t.devs {
		if d.online {
			n++
		}
	}
	return n
}
