package userspace

import (
	"container/heap"
	"math/rand/v2"
	"sync"
	"time"
)

// Impair is what one egress side of the gateway does to the frames it sends.
// Delays are real time, not scenario time.
type Impair struct {
	Loss   float64       // percent of frames dropped, 0..100
	Delay  time.Duration // added to every frame
	Jitter time.Duration // a uniform extra delay in [0, Jitter); frames may reorder
	Rate   uint64        // bits per second through a token bucket; 0 = unlimited
	Burst  int           // token bucket depth in bytes; 0 = 16 KiB
}

// Impairments are the impairments of each egress side: WAN is what the
// gateway sends out of its WAN interface, LAN what it sends to its LANs.
type Impairments struct{ WAN, LAN Impair }

// maxBacklog bounds the rate limiter's queue in time; maxQueued the frames
// waiting in one side's delay queue.
const (
	maxBacklog = 200 * time.Millisecond
	maxQueued  = 4096
)

func (im Impair) none() bool { return im.Loss <= 0 && im.Delay <= 0 && im.Jitter <= 0 && im.Rate == 0 }

func (im Impair) holds() bool { return im.Delay > 0 || im.Jitter > 0 || im.Rate > 0 }

// shaper applies one side's impairments. Frames it holds are copies, sent
// by a timer through send.
type shaper struct {
	im   Impair
	send func(b []byte)

	mu     sync.Mutex
	rng    *rand.Rand
	tokens float64
	last   time.Time
	q      delayQueue
	seq    uint64
	timer  *time.Timer
	closed bool
}

func newShaper(im Impair, seed uint64, send func([]byte)) *shaper {
	s := &shaper{im: im, send: send, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	if s.im.Burst <= 0 {
		s.im.Burst = 16 << 10
	}
	s.tokens = float64(s.im.Burst)
	return s
}

// admit decides a frame's fate: "" and now=true to send it at once, "" and
// now=false when the shaper keeps a copy for later, or a drop reason.
func (s *shaper) admit(b []byte, at time.Time) (now bool, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.im.Loss > 0 && s.rng.Float64()*100 < s.im.Loss {
		return false, dropImpairLoss
	}
	if !s.im.holds() {
		return true, ""
	}
	due := at.Add(s.im.Delay)
	if s.im.Jitter > 0 {
		due = due.Add(time.Duration(s.rng.Int64N(int64(s.im.Jitter))))
	}
	if s.im.Rate > 0 {
		if !s.last.IsZero() {
			s.tokens += at.Sub(s.last).Seconds() * float64(s.im.Rate) / 8
		}
		s.tokens = min(s.tokens, float64(s.im.Burst))
		s.last = at
		s.tokens -= float64(len(b))
		if s.tokens < 0 {
			wait := time.Duration(-s.tokens * 8 / float64(s.im.Rate) * float64(time.Second))
			if wait > maxBacklog {
				s.tokens += float64(len(b))
				return false, dropImpairRate
			}
			due = due.Add(wait)
		}
	}
	if !due.After(at) {
		return true, ""
	}
	if len(s.q) >= maxQueued || s.closed {
		return false, dropImpairQueue
	}
	s.seq++
	heap.Push(&s.q, held{due: due, seq: s.seq, b: append([]byte(nil), b...)})
	s.arm(at)
	return false, ""
}

// arm sets the timer for the head of the queue; s.mu is held.
func (s *shaper) arm(now time.Time) {
	if len(s.q) == 0 {
		return
	}
	d := s.q[0].due.Sub(now)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.fire)
	} else {
		s.timer.Reset(d)
	}
}

func (s *shaper) fire() {
	s.mu.Lock()
	now := time.Now()
	var out [][]byte
	for len(s.q) > 0 && !s.q[0].due.After(now) {
		out = append(out, heap.Pop(&s.q).(held).b)
	}
	if !s.closed {
		s.arm(now)
	}
	s.mu.Unlock()
	for _, b := range out {
		s.send(b)
	}
}

func (s *shaper) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.q = nil
}

type held struct {
	due time.Time
	seq uint64
	b   []byte
}

// delayQueue is a min-heap of held frames by due time, then arrival.
type delayQueue []held

func (q delayQueue) Len() int { return len(q) }
func (q delayQueue) Less(i, j int) bool {
	if q[i].due.Equal(q[j].due) {
		return q[i].seq < q[j].seq
	}
	return q[i].due.Before(q[j].due)
}
func (q delayQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *delayQueue) Push(x any)   { *q = append(*q, x.(held)) }
func (q *delayQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
