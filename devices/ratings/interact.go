package ratings

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/boxlab/boxlab/devices"
)

// Vote is one answer a terminal sent to an interaction item, as the
// terminal records it on Env.Truth (VoteTopic) for the server to compare.
type Vote struct {
	Item   uint64
	User   string
	Choice int
}

// VoteTopic is where viewers of server post the votes they sent.
func VoteTopic(server string) string { return "ratings/" + server + "/votes" }

// item is one interaction item of an interactive programme (seed 004 §8).
type item struct {
	id      uint64
	service string
	n       int
	asked   map[string]bool
	votes   map[string]int
}

// validService reports whether svc is one of the server's channels.
func (s *Server) validService(svc string) bool {
	n, err := strconv.Atoi(svc)
	return err == nil && n >= 1 && n <= s.Options.Channels && svc == ServiceID(n-1)
}

// handleControl acts on one line from an online terminal.
func (s *Server) handleControl(ctx context.Context, o *onlineConn, l ControlLine) {
	switch l.Verb {
	case "ANSWER":
		s.recordAnswer(o.user, l)
	case "SUB", "UNSUB":
		if !s.validService(l.Service) {
			s.log.Info("ratings.control_rejected", "reason", "no_service", "user", o.user, "service", l.Service)
			return
		}
		if err := s.db.setSubscription(ctx, o.user, l.Service, l.Verb == "SUB"); err != nil {
			s.log.Info("ratings.control_rejected", "reason", "store", "user", o.user, "err", err.Error())
			return
		}
		s.log.Info("ratings.subscription", "user", o.user, "service", l.Service, "on", l.Verb == "SUB", "by", "terminal")
		s.pushSubs(ctx, o, false)
	case "VOTE":
		s.recordVote(o.user, l)
	default:
		s.log.Info("ratings.control_rejected", "reason", "bad_line", "user", o.user)
	}
}

// pushSubs sends the subscriptions the server holds for o's user (the
// server's list is the truth both sides converge on); byOp marks a change
// the operator made. Reading the list and sending it happen under one lock
// per channel, so the lists reach the terminal in the order they were read.
func (s *Server) pushSubs(ctx context.Context, o *onlineConn, byOp bool) {
	o.subMu.Lock()
	defer o.subMu.Unlock()
	subs, err := s.db.subscriptions(ctx, o.user)
	if err != nil {
		return
	}
	if byOp {
		o.send(OperatorSubsLine(subs))
		return
	}
	o.send(SubsLine(subs))
}

func (s *Server) recordVote(user string, l ControlLine) {
	s.onMu.Lock()
	defer s.onMu.Unlock()
	it := s.items[l.Item]
	_, dup := it.votesOf(user)
	if it == nil || !it.asked[user] || dup || l.N >= it.n {
		s.log.Info("ratings.control_rejected", "reason", "bad_vote", "user", user, "item", l.Item)
		return
	}
	it.votes[user] = l.N
	s.log.Info("ratings.vote", "item", float64(l.Item), "user", user, "choice", float64(l.N))
}

func (it *item) votesOf(user string) (int, bool) {
	if it == nil {
		return 0, false
	}
	v, ok := it.votes[user]
	return v, ok
}

func (it *item) tally() []int {
	c := make([]int, it.n)
	for _, v := range it.votes {
		c[v]++
	}
	return c
}

// onlineOf returns the control channels of the users that are online.
func (s *Server) onlineOf(users []string) []*onlineConn {
	s.onMu.Lock()
	defer s.onMu.Unlock()
	var out []*onlineConn
	for _, u := range users {
		if o := s.online[u]; o != nil {
			out = append(out, o)
		}
	}
	return out
}

// guideLoop changes the guide every GuideUpdate (the titles of programmes
// not yet aired get a new revision) and pushes GUIDE <version> to every
// online terminal, which fetches the guide again.
func (s *Server) guideLoop(ctx context.Context) {
	t := s.env.Clock.NewTicker(time.Duration(s.Options.GuideUpdate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.now()
		s.guideMu.Lock()
		s.guide.Version++
		v := s.guide.Version
		for i := range s.guide.Programmes {
			if p := &s.guide.Programmes[i]; p.Start > now {
				p.Title = fmt.Sprintf("Programme %s (rev %d)", p.ProgramID, v)
			}
		}
		s.guideMu.Unlock()
		s.onMu.Lock()
		to := make([]*onlineConn, 0, len(s.online))
		for _, o := range s.online {
			to = append(to, o)
		}
		s.onMu.Unlock()
		line := fmt.Sprintf("GUIDE %d\n", v)
		for _, o := range to {
			go func() {
				if o.send(line) == nil {
					s.log.Info("ratings.guide_push", "user", o.user, "version", float64(v))
				}
			}()
		}
		s.log.Info("ratings.guide_update", "version", float64(v), "online", float64(len(to)))
	}
}

// interactionLoop runs an interaction item on every channel every
// Interaction: it goes to the viewers the server knows watch the channel
// (an open viewing record: their LogInInfo, seed §8) and are online; votes
// are collected for half an interval, then the tally goes back to them.
func (s *Server) interactionLoop(ctx context.Context) {
	every := time.Duration(s.Options.Interaction)
	t := s.env.Clock.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for i := range s.Options.Channels {
			svc := ServiceID(i)
			users, err := s.db.watchers(ctx, svc)
			if err != nil || len(users) == 0 {
				continue
			}
			to := s.onlineOf(users)
			s.onMu.Lock()
			s.itemSeq++
			it := &item{id: s.itemSeq, service: svc, n: s.Options.Choices, asked: map[string]bool{}, votes: map[string]int{}}
			for _, o := range to {
				it.asked[o.user] = true
			}
			s.items[it.id] = it
			s.onMu.Unlock()
			line := fmt.Sprintf("ITEM %d %s %d\n", it.id, svc, it.n)
			for _, o := range to {
				go o.send(line)
			}
			s.log.Info("ratings.item", "item", float64(it.id), "service", svc, "asked", float64(len(to)))
			go s.result(ctx, it, to, every/2)
		}
	}
}

func (s *Server) result(ctx context.Context, it *item, to []*onlineConn, after time.Duration) {
	if s.env.Clock.Sleep(ctx, after) != nil {
		return
	}
	s.onMu.Lock()
	c := it.tally()
	s.onMu.Unlock()
	parts := make([]string, len(c))
	for i, n := range c {
		parts[i] = strconv.Itoa(n)
	}
	line := fmt.Sprintf("RESULT %d %s\n", it.id, strings.Join(parts, ","))
	for _, o := range to {
		go o.send(line)
	}
	s.log.Info("ratings.result", "item", float64(it.id), "service", it.service, "tally", strings.Join(parts, ","))
}

// compareVotes checks the server's tallies against the votes the viewers
// sent (ground truth): ratings.interactive_compare per item and choice.
func (s *Server) compareVotes(env *devices.Env) {
	truth := map[uint64][]int{}
	for _, f := range env.Truth.All(VoteTopic(env.Node)) {
		v, ok := f.(Vote)
		if !ok {
			continue
		}
		if truth[v.Item] == nil {
			truth[v.Item] = make([]int, maxChoices)
		}
		truth[v.Item][v.Choice]++
	}
	s.onMu.Lock()
	defer s.onMu.Unlock()
	ids := make([]uint64, 0, len(s.items))
	for id := range s.items {
		ids = append(ids, id)
	}
	for id := range truth {
		if s.items[id] == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		var got []int
		n := maxChoices
		if it := s.items[id]; it != nil {
			got, n = it.tally(), it.n
		}
		for c := range n {
			t, g := 0, 0
			if truth[id] != nil {
				t = truth[id][c]
			}
			if c < len(got) {
				g = got[c]
			}
			if t == 0 && g == 0 {
				continue
			}
			d := t - g
			if d < 0 {
				d = -d
			}
			env.Log.Info("ratings.interactive_compare", "item", float64(id), "choice", float64(c), "truth", float64(t),
				"server", float64(g), "abs_error", float64(d))
		}
	}
}
