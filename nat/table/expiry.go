package table

import "time"

// timer is one scheduled look at a mapping. Refreshing a mapping moves its
// expiry later without touching the heap: when the old timer fires, Expire
// sees the later expiry and reschedules (lazy deletion). Moving an expiry
// earlier (a TCP connection closing) bumps the mapping's generation and
// pushes a new timer; the old one is discarded when it fires.
type timer struct {
	at  time.Duration
	m   *mapping
	gen uint32
}

// timerHeap is a binary min-heap of timers by due time, typed to avoid
// container/heap's boxing.
type timerHeap []timer

func (h *timerHeap) push(x timer) {
	*h = append(*h, x)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p].at <= a[i].at {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = timer{}
	a = a[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1].at < a[c].at {
			c++
		}
		if a[i].at <= a[c].at {
			break
		}
		a[i], a[c] = a[c], a[i]
		i = c
	}
	*h = a
	return top
}

// schedule pushes a timer for m's current expiry; permanent mappings have none.
func (t *Table) schedule(m *mapping) {
	if m.expires == never {
		return
	}
	t.timers.push(timer{at: m.expires, m: m, gen: m.gen})
}

// setExpiry moves m's expiry, rescheduling only when it moves earlier.
func (t *Table) setExpiry(m *mapping, at time.Duration) {
	if at >= m.expires {
		m.expires = at
		return
	}
	m.expires = at
	m.gen++
	t.schedule(m)
}

// Expire removes every mapping whose expiry is at or before now and returns
// how many. Its cost is the number of timers due, each O(log n): amortised
// O(expired + earlier refreshes) per call, nothing when nothing is due.
func (t *Table) Expire(now time.Duration) int {
	now = t.tick(now)
	n := 0
	for len(t.timers) > 0 && t.timers[0].at <= now {
		tm := t.timers.pop()
		m := tm.m
		if m.dead || tm.gen != m.gen {
			continue
		}
		if m.expires > now {
			t.schedule(m)
			continue
		}
		t.remove(m, true)
		n++
	}
	return n
}
