package stb

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices/ratings"
)

// nowWatching is what the viewer watches now, for poll answers: a viewing
// that reached the minimum viewing time by its frames (server timestamps).
type nowWatching struct {
	mu sync.Mutex
	a  ratings.PollAnswer
}

func (n *nowWatching) set(a ratings.PollAnswer) { n.mu.Lock(); n.a = a; n.mu.Unlock() }
func (n *nowWatching) get() ratings.PollAnswer  { n.mu.Lock(); defer n.mu.Unlock(); return n.a }

// control keeps the control channel to the server open while the viewer
// runs (seed 004 §1: online; §7 method B: it answers "are you watching?"
// polls), reconnecting with backoff after a break (a WAN change, a
// server restart). Events: stb.online, stb.control_break, stb.poll_answer.
func (r *viewerRun) control(ctx context.Context, password string) {
	addr := netip.AddrPortFrom(r.stream.Addr(), uint16(r.guide.ControlPort))
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		err := r.controlOnce(ctx, addr, password)
		if ctx.Err() != nil {
			return
		}
		r.env.Log.Info("stb.control_break", "err", fmt.Sprint(err))
		r.env.Clock.Sleep(ctx, backoff)
		backoff = min(2*backoff, 8*time.Second)
	}
}

func (r *viewerRun) controlOnce(ctx context.Context, addr netip.AddrPort, password string) error {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	c, err := r.env.NS.DialContext(dctx, "tcp4", addr.String())
	cancel()
	if err != nil {
		return err
	}
	ratings.BoundRetransmits(c)
	sc := &streamConn{c: c, r: bufio.NewReaderSize(c, 512)}
	defer sc.abort()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	read := func(deadline time.Time) (ratings.ControlLine, error) {
		c.SetReadDeadline(deadline)
		b, err := sc.r.ReadSlice('\n')
		if err != nil {
			return ratings.ControlLine{}, err
		}
		return ratings.ParseControlLine(string(b[:len(b)-1]))
	}
	ch, err := read(time.Now().Add(5 * time.Second))
	if err != nil || ch.Verb != "CHALLENGE" {
		return fmt.Errorf("control: want CHALLENGE: %v %s", err, ch.Err)
	}
	if err := sc.send(fmt.Sprintf("HELLO %s %s\n", r.user, ratings.ControlProof(password, ch.Nonce))); err != nil {
		return err
	}
	if w, err := read(time.Now().Add(5 * time.Second)); err != nil || w.Verb != "WELCOME" {
		return fmt.Errorf("control: want WELCOME: %v %s", err, w.Err)
	}
	r.env.Log.Info("stb.online")
	r.subs.online(sc.send)
	defer r.subs.online(nil)
	// A silent channel is checked by the poll traffic only; a dead one is
	// found by TCP_USER_TIMEOUT when an answer goes unacknowledged.
	for {
		l, err := read(time.Time{})
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return err
		}
		if err := r.onControl(ctx, sc, l); err != nil {
			return err
		}
	}
}

// onControl acts on one server line: polls, subscription sync, guide
// pushes, interaction items and their results.
func (r *viewerRun) onControl(ctx context.Context, sc *streamConn, l ratings.ControlLine) error {
	switch l.Verb {
	case "POLL":
		a := r.watching.get()
		if err := sc.send(a.Line(l.Poll)); err != nil {
			return err
		}
		r.env.Log.Info("stb.poll_answer", "poll", float64(l.Poll), "service", a.Service)
	case "SUBS":
		if l.ByOp {
			r.subs.byOperator(r, l.Subs)
			break
		}
		r.subs.synced(r, l.Subs)
	case "GUIDE":
		go r.refreshGuide(ctx, l.Version)
	case "ITEM":
		if r.watching.get().Service != l.Service {
			r.env.Log.Info("stb.item_ignored", "item", float64(l.Item), "service", l.Service)
			return nil
		}
		h := fnv.New32a()
		fmt.Fprintf(h, "%s/%d", r.user, l.Item)
		choice := int(h.Sum32() % uint32(l.N))
		if err := sc.send(fmt.Sprintf("VOTE %d %d\n", l.Item, choice)); err != nil {
			return err
		}
		r.env.Truth.Add(ratings.VoteTopic(r.Options.Server), ratings.Vote{Item: l.Item, User: r.user, Choice: choice})
		r.env.Log.Info("stb.vote", "item", float64(l.Item), "choice", float64(choice))
	case "RESULT":
		r.env.Log.Info("stb.result", "item", float64(l.Item), "tally", fmt.Sprint(l.Counts))
	}
	return nil
}

// refreshGuide fetches the guide after a GUIDE push.
func (r *viewerRun) refreshGuide(ctx context.Context, version uint64) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/guide", nil)
	if err != nil {
		return
	}
	resp, err := r.http.Do(req)
	if err != nil {
		r.env.Log.Info("stb.guide_error", "err", err.Error())
		return
	}
	defer resp.Body.Close()
	var g ratings.Guide
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
		r.env.Log.Info("stb.guide_error", "err", err.Error())
		return
	}
	r.env.Log.Info("stb.guide_refresh", "pushed", float64(version), "version", float64(g.Version))
}

// subscriptions is the viewer's own copy of its channel subscriptions,
// kept in sync with the server's (seed 004 §1: either side may change
// them; the server's list, sent as SUBS, is what both converge on).
type subscriptions struct {
	mu       sync.Mutex
	local    map[string]bool
	inflight []subChange        // changes sent and not yet echoed by SUBS, oldest first
	send     func(string) error // the live control channel, nil while offline
}

// subChange is one change the terminal sent.
type subChange struct {
	service string
	on      bool
}

// change subscribes or unsubscribes service through the live control
// channel; false when offline.
func (s *subscriptions) change(r *viewerRun, service string, on bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.send == nil {
		return false
	}
	verb := "UNSUB"
	if on {
		verb = "SUB"
	}
	if s.send(verb+" "+service+"\n") != nil {
		return false
	}
	if s.local == nil {
		s.local = map[string]bool{}
	}
	if on {
		s.local[service] = true
	} else {
		delete(s.local, service)
	}
	s.inflight = append(s.inflight, subChange{service, on})
	r.env.Log.Info("stb.subscribe", "service", service, "on", on)
	return true
}

// synced takes the server's list: once no change of ours is in flight, it
// must equal ours (stb.subs_synced) or we log stb.subs_mismatch; either
// way the server's list is adopted.
func (s *subscriptions) synced(r *viewerRun, server []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.inflight) > 0 {
		s.inflight = s.inflight[1:]
	}
	if len(s.inflight) == 0 {
		mine := make([]string, 0, len(s.local))
		for k := range s.local {
			mine = append(mine, k)
		}
		slices.Sort(mine)
		if slices.Equal(mine, server) {
			r.env.Log.Info("stb.subs_synced", "subs", float64(len(server)))
		} else {
			r.env.Log.Info("stb.subs_mismatch", "mine", fmt.Sprint(mine), "server", fmt.Sprint(server))
		}
	}
	s.local = map[string]bool{}
	for _, v := range server {
		s.local[v] = true
	}
}

// byOperator takes the list the server sent after the operator changed
// it (SUBS ... operator): adopted at once, with the changes of ours still
// in flight on top (the server applies them after, and echoes each).
func (s *subscriptions) byOperator(r *viewerRun, server []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.local = map[string]bool{}
	for _, v := range server {
		s.local[v] = true
	}
	for _, c := range s.inflight {
		if c.on {
			s.local[c.service] = true
		} else {
			delete(s.local, c.service)
		}
	}
	r.env.Log.Info("stb.subs_operator", "subs", float64(len(server)))
}

// sorted is the terminal's list.
func (s *subscriptions) sorted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.local))
	for k := range s.local {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (s *subscriptions) online(send func(string) error) {
	s.mu.Lock()
	s.send, s.inflight = send, nil
	s.mu.Unlock()
}
