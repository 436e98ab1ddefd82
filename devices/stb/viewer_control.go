package stb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
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
		if l.Verb != "POLL" {
			continue
		}
		a := r.watching.get()
		if err := sc.send(a.Line(l.Poll)); err != nil {
			return err
		}
		r.env.Log.Info("stb.poll_answer", "poll", float64(l.Poll), "service", a.Service)
	}
}
