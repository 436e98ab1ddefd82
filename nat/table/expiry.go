package table

import (
	"container/heap"
	"time"
)

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

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = timer{}
	*h = old[:len(old)-1]
	return x
}

// schedule pushes a timer for m's current expiry; permanent mappings have none.
func (t *Table) schedule(m *mapping) {
	if m.expires == never {
		return
	}
	heap.Push(&t.timers, timer{at: m.expires, m: m, gen: m.gen})
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
		tm := heap.Pop(&t.timers).(timer)
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
