package ratings

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// PollFigure compares, for one poll and channel, method A (the viewing
// records: a viewing counts at instant t when start+min <= t <= end) with
// method B (the terminals that answered the poll with that channel).
type PollFigure struct {
	Poll    uint64
	At      time.Duration
	Service string
	A, B    int     // viewers counted by each method
	Share   float64 // sampled share of online terminals asked
	// Estimate is B scaled to the whole audience (B / Share); with Share 1
	// it is B. StdErr is its binomial sampling error, sqrt(B(1-Share))/Share.
	Estimate, StdErr float64
	// Explained disagreements: a viewing whose counting edge (start+min or
	// end) lies within the poll's window around its time — the longest an
	// answer took to arrive or the largest lag between the poll and an
	// answerer's last frame, plus two frame intervals — or a viewer counted
	// by A who was not asked or did not answer. Unexplained ones are
	// errors of either method.
	Explained, Unexplained int
	// Why lists the unexplained disagreements, for the report.
	Why []string
}

// comparePolls evaluates every poll against the closed records.
func comparePolls(polls []*poll, records []audience.Viewing, min, frame time.Duration, share float64) []PollFigure {
	var out []PollFigure
	for _, p := range polls {
		if len(p.asked) == 0 {
			continue
		}
		w := 2 * frame
		for _, at := range p.arrived {
			w = max(w, at-p.at+2*frame)
		}
		for _, a := range p.answers {
			if a.Service != "" {
				w = max(w, p.at-a.Last+2*frame) // the stream lag the answers show
			}
		}
		edge := func(v audience.Viewing) bool {
			return absDur(v.Start+min-p.at) <= w || absDur(v.End-p.at) <= w
		}
		a := map[string]map[string]audience.Viewing{} // service -> session -> record
		bySession := map[string]audience.Viewing{}
		for _, v := range records {
			if v.Open || v.End-v.Start < min {
				continue
			}
			bySession[v.Session] = v
			if v.Start+min <= p.at && p.at <= v.End {
				if a[v.Service] == nil {
					a[v.Service] = map[string]audience.Viewing{}
				}
				a[v.Service][v.Session] = v
			}
		}
		b := map[string]map[string]string{} // service -> session -> user
		for u, ans := range p.answers {
			if ans.Service == "" {
				continue
			}
			if b[ans.Service] == nil {
				b[ans.Service] = map[string]string{}
			}
			b[ans.Service][ans.Session] = u
		}
		services := map[string]bool{}
		for k := range a {
			services[k] = true
		}
		for k := range b {
			services[k] = true
		}
		keys := make([]string, 0, len(services))
		for k := range services {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, svc := range keys {
			f := PollFigure{Poll: p.id, At: p.at, Service: svc, A: len(a[svc]), B: len(b[svc]), Share: share}
			f.Estimate = float64(f.B) / share
			f.StdErr = math.Sqrt(float64(f.B)*(1-share)) / share
			for sess, v := range a[svc] {
				if _, ok := b[svc][sess]; ok {
					continue
				}
				_, answered := p.answers[v.User]
				if edge(v) || !answered {
					f.Explained++
				} else {
					f.Unexplained++
					f.Why = append(f.Why, fmt.Sprintf("A only: %s session %s %v-%v answered %+v", v.User, sess, v.Start, v.End, p.answers[v.User]))
				}
			}
			for sess := range b[svc] {
				if _, ok := a[svc][sess]; ok {
					continue
				}
				if v, ok := bySession[sess]; ok && edge(v) {
					f.Explained++
				} else {
					f.Unexplained++
					f.Why = append(f.Why, fmt.Sprintf("B only: %s session %s answered %+v; record %+v (found %v)", b[svc][sess], sess, p.answers[b[svc][sess]], v, ok))
				}
			}
			out = append(out, f)
		}
	}
	return out
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
