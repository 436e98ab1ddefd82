package audience

import (
	"cmp"
	"slices"
	"time"
)

// Viewing is one record: who watched which channel and programme, from the
// first to the last frame (server timestamps, simulated time since the run
// started). Open is true while the viewer has not logged out.
type Viewing struct {
	User    string        `json:"user"`
	Service string        `json:"service"`
	Program string        `json:"program"`
	Start   time.Duration `json:"start"`
	End     time.Duration `json:"end"`
	Open    bool          `json:"open,omitempty"`
	Session string        `json:"session,omitempty"`
}

// Window is a rating window of the guide (method A): a channel and span.
type Window struct {
	Name    string        `json:"name"`
	Service string        `json:"service"`
	From    time.Duration `json:"from"`
	To      time.Duration `json:"to"`
}

// Options are the rules of one computation.
type Options struct {
	Min     time.Duration // a viewing shorter than this does not count
	Now     time.Duration // the end of open viewings
	Windows []Window
}

// Figures are the ratings of one channel, programme or window.
type Figures struct {
	Viewers  int           `json:"viewers"`  // distinct users
	Viewings int           `json:"viewings"` // counted viewings
	Total    time.Duration `json:"total"`    // summed duration
	Average  time.Duration `json:"average"`  // Total / Viewings
	Share    float64       `json:"share"`    // Total / all counted viewing time
}

// Preference is what one user watched most (by total time; ties by name).
type Preference struct {
	Service string        `json:"service"`
	Program string        `json:"program"`
	Total   time.Duration `json:"total"`
}

// Report is the full set of ratings.
type Report struct {
	Viewings              int                   `json:"viewings"`
	Total                 time.Duration         `json:"total"`
	Channels              map[string]Figures    `json:"channels"`
	Programmes            map[string]Figures    `json:"programmes"`
	Windows               map[string]Figures    `json:"windows"`
	MostWatchedChannels   []string              `json:"most_watched_channels"`   // by viewers, then total time, then name
	MostWatchedProgrammes []string              `json:"most_watched_programmes"` // same order
	Preferences           map[string]Preference `json:"preferences"`
}

type acc struct {
	users    map[string]struct{}
	viewings int
	total    time.Duration
}

func (a *acc) add(user string, d time.Duration) {
	if a.users == nil {
		a.users = map[string]struct{}{}
	}
	a.users[user] = struct{}{}
	a.viewings++
	a.total += d
}

// Compute rates the viewings.
func Compute(vs []Viewing, o Options) Report {
	ch, pr, win := map[string]*acc{}, map[string]*acc{}, map[string]*acc{}
	type up struct{ user, key string }
	userSvc, userPrg := map[up]time.Duration{}, map[up]time.Duration{}
	var rep Report
	for _, w := range o.Windows {
		win[w.Name] = &acc{}
	}
	for _, v := range vs {
		end := v.End
		if v.Open {
			end = max(o.Now, v.Start)
		}
		d := end - v.Start
		if d < o.Min || d < 0 {
			continue
		}
		rep.Viewings++
		rep.Total += d
		get(ch, v.Service).add(v.User, d)
		get(pr, v.Program).add(v.User, d)
		userSvc[up{v.User, v.Service}] += d
		userPrg[up{v.User, v.Program}] += d
		for _, w := range o.Windows {
			if w.Service != v.Service {
				continue
			}
			if ov := min(end, w.To) - max(v.Start, w.From); ov > 0 {
				win[w.Name].add(v.User, ov)
			}
		}
	}
	rep.Channels, rep.Programmes, rep.Windows = figures(ch, rep.Total), figures(pr, rep.Total), figures(win, rep.Total)
	rep.MostWatchedChannels, rep.MostWatchedProgrammes = ranking(rep.Channels), ranking(rep.Programmes)
	rep.Preferences = map[string]Preference{}
	for k, d := range userSvc {
		p := rep.Preferences[k.user]
		if d > p.Total || d == p.Total && (p.Service == "" || k.key < p.Service) {
			p.Service, p.Total = k.key, d
		}
		rep.Preferences[k.user] = p
	}
	best := map[string]time.Duration{}
	for k, d := range userPrg {
		p := rep.Preferences[k.user]
		if b := best[k.user]; d > b || d == b && (p.Program == "" || k.key < p.Program) {
			p.Program, best[k.user] = k.key, d
		}
		rep.Preferences[k.user] = p
	}
	return rep
}

func get(m map[string]*acc, k string) *acc {
	a := m[k]
	if a == nil {
		a = &acc{}
		m[k] = a
	}
	return a
}

func figures(m map[string]*acc, all time.Duration) map[string]Figures {
	out := make(map[string]Figures, len(m))
	for k, a := range m {
		f := Figures{Viewers: len(a.users), Viewings: a.viewings, Total: a.total}
		if a.viewings > 0 {
			f.Average = a.total / time.Duration(a.viewings)
		}
		if all > 0 {
			f.Share = float64(a.total) / float64(all)
		}
		out[k] = f
	}
	return out
}

func ranking(m map[string]Figures) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		fa, fb := m[a], m[b]
		return cmp.Or(cmp.Compare(fb.Viewers, fa.Viewers), cmp.Compare(fb.Total, fa.Total), cmp.Compare(a, b))
	})
	return keys
}
