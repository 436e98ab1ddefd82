package acs

import (
	"fmt"
	"sort"
	"time"
)

// State is a command's state.
type State string

// Command states: queued → sent (a connection request went out) → fetched
// (the STB opened its session and took it) → done or failed; expired when
// its time to live ends first; failed also when every attempt went unanswered.
const (
	Queued  State = "queued"
	Sent    State = "sent"
	Fetched State = "fetched"
	Done    State = "done"
	Failed  State = "failed"
	Expired State = "expired"
)

// Final reports whether s is a terminal state.
func (s State) Final() bool { return s == Done || s == Failed || s == Expired }

// Job is one command for one device and its delivery state.
type Job struct {
	Command
	Device   string        `json:"device"`
	State    State         `json:"state"`
	Queued   time.Duration `json:"queued_at"`
	Attempts int           `json:"attempts"`
	Next     time.Duration `json:"next_attempt"` // when the next connection request is due
	Reason   string        `json:"reason,omitempty"`
	Result   string        `json:"result,omitempty"` // get: the value the device reported
	Ended    time.Duration `json:"ended_at,omitempty"`
}

// Policy is the retry policy of the queue.
type Policy struct {
	Retry    time.Duration // wait after the first attempt; doubles each attempt
	MaxRetry time.Duration // cap of the wait
	Attempts int           // connection-request attempts before failing
	TTL      time.Duration // a command not done this long after queueing expires
	// InFlight caps the commands under way at once (a connection request
	// sent and its retry wait not over, or the STB's session fetched it);
	// the rest wait their turn, so a command for 10,000 devices does not
	// open 10,000 sessions at once. 0 = no cap.
	InFlight int
}

// Queue holds every job. Pure: time is passed in; the caller serialises.
type Queue struct {
	Policy Policy
	jobs   map[string]*Job
	order  []string
	byDev  map[string][]string // unfinished job ids per device, oldest first
	seq    int
}

// Add queues a command for device at now and returns its job.
func (q *Queue) Add(device string, c Command, now time.Duration) *Job {
	if q.jobs == nil {
		q.jobs, q.byDev = map[string]*Job{}, map[string][]string{}
	}
	q.seq++
	c.ID = fmt.Sprintf("c%d", q.seq)
	j := &Job{Command: c, Device: device, State: Queued, Queued: now, Next: now}
	q.jobs[c.ID] = j
	q.order = append(q.order, c.ID)
	q.byDev[device] = append(q.byDev[device], c.ID)
	return j
}

// Job returns a job by id.
func (q *Queue) Job(id string) (*Job, bool) { j, ok := q.jobs[id]; return j, ok }

// Jobs lists every job in queueing order.
func (q *Queue) Jobs() []*Job {
	out := make([]*Job, 0, len(q.order))
	for _, id := range q.order {
		out = append(out, q.jobs[id])
	}
	return out
}

// Due returns, per device, the oldest job whose connection request is due at
// now (one job per device at a time, so the STB's session fetches it first),
// at most Policy.InFlight under way in all, and ends jobs that expired or ran
// out of attempts. reachable says whether a device has a binding to send to.
func (q *Queue) Due(now time.Duration, reachable func(device string) bool) (due, ended []*Job) {
	busy := map[string]bool{}
	room := -1 // no cap
	if q.Policy.InFlight > 0 {
		room = q.Policy.InFlight
		for _, id := range q.order {
			if j := q.jobs[id]; j.State == Fetched || (j.State == Sent && now < j.Next) {
				room--
			}
		}
	}
	for _, id := range q.order {
		j := q.jobs[id]
		if j.State.Final() {
			continue
		}
		switch {
		case now-j.Queued >= q.Policy.TTL:
			q.end(j, Expired, "ttl", now)
			ended = append(ended, j)
			continue
		case j.State == Sent && now >= j.Next && j.Attempts >= q.Policy.Attempts:
			q.end(j, Failed, "no-session", now)
			ended = append(ended, j)
			continue
		}
		if busy[j.Device] {
			continue
		}
		busy[j.Device] = true
		if (j.State == Queued || j.State == Sent) && now >= j.Next && room != 0 && reachable(j.Device) {
			due = append(due, j)
			room--
		}
	}
	q.compact()
	return due, ended
}

// Sent records a connection-request attempt at now.
func (q *Queue) Sent(j *Job, now time.Duration) {
	j.Attempts++
	j.State = Sent
	wait := q.Policy.Retry << (j.Attempts - 1)
	if wait > q.Policy.MaxRetry || wait <= 0 {
		wait = q.Policy.MaxRetry
	}
	j.Next = now + wait
}

// Fetch hands the device's oldest pending job to its session. It looks
// only at the device's own jobs: with thousands of devices a scan of every
// job per session made command rounds quadratic.
func (q *Queue) Fetch(device string) (*Job, bool) {
	ids := q.byDev[device]
	for len(ids) > 0 {
		j, ok := q.jobs[ids[0]]
		if ok && !j.State.Final() {
			break
		}
		ids = ids[1:] // finished or forgotten
	}
	if len(ids) == 0 {
		delete(q.byDev, device)
	} else {
		q.byDev[device] = ids
	}
	for _, id := range ids {
		j := q.jobs[id]
		if j != nil && (j.State == Queued || j.State == Sent) {
			j.State = Fetched
			return j, true
		}
	}
	return nil, false
}

// Finish records the STB's result for a fetched job.
func (q *Queue) Finish(id, device string, ok bool, reason string, now time.Duration) (*Job, error) {
	j, found := q.jobs[id]
	if !found || j.Device != device {
		return nil, fmt.Errorf("no command %q for device %q", id, device)
	}
	if j.State != Fetched {
		return nil, fmt.Errorf("command %q is %s; want fetched", id, j.State)
	}
	if ok {
		q.end(j, Done, "", now)
	} else {
		q.end(j, Failed, reason, now)
	}
	return j, nil
}

func (q *Queue) end(j *Job, s State, reason string, now time.Duration) {
	j.State, j.Reason, j.Ended = s, reason, now
}

// compact forgets finished jobs beyond the last 10,000, oldest first.
func (q *Queue) compact() {
	const keep = 10000
	if len(q.order) <= 2*keep {
		return
	}
	var kept []string
	drop := len(q.order) - keep
	for i, id := range q.order {
		if i < drop && q.jobs[id].State.Final() {
			delete(q.jobs, id)
			continue
		}
		kept = append(kept, id)
	}
	q.order = kept
}

// Counts is how many jobs are in each state.
func (q *Queue) Counts() map[State]int {
	out := map[State]int{}
	for _, j := range q.jobs {
		out[j.State]++
	}
	return out
}

// sortedDevices is a helper for deterministic iteration.
func sortedDevices[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
