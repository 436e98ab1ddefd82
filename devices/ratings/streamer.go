package ratings

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"time"
)

func (s *Server) serveStreams(ctx context.Context, l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go s.serveStream(ctx, c)
	}
}

// serveStream serves one stream connection: WATCH opens a session, RESUME
// continues one after a break; frames go out every frame interval until
// STOP, which records the last frame durably and answers END.
func (s *Server) serveStream(ctx context.Context, c net.Conn) {
	clean := false
	defer func() {
		if !clean {
			abort(c)
		}
		c.Close()
	}()
	r := bufio.NewReaderSize(c, maxLine)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := readLine(r)
	if err != nil {
		return
	}
	c.SetReadDeadline(time.Time{})
	cmd, err := parseCommand(line)
	if err != nil || cmd.verb == "STOP" {
		fmt.Fprintf(c, "ERR %v\n", err)
		return
	}
	var ss session
	switch cmd.verb {
	case "WATCH":
		if n, err := strconv.Atoi(cmd.service); err != nil || n < 1 || n > s.Options.Channels || cmd.service != ServiceID(n-1) {
			fmt.Fprintf(c, "ERR no service %s\n", cmd.service)
			return
		}
		at := s.now()
		ss = session{id: newSessionID(), user: cmd.user, service: cmd.service, first: at,
			program: ProgramAt(cmd.service, at, time.Duration(s.Options.Programme))}
		if err := s.db.addSession(ctx, ss); err != nil {
			fmt.Fprintf(c, "ERR store: %v\n", err)
			return
		}
	case "RESUME":
		ss.id = cmd.session
	}
	// One connection serves a session at a time: a resume waits until the
	// connection it replaces has finished (it may be recording a STOP).
	sctx, release := s.claim(ctx, ss.id)
	defer release()
	if cmd.verb == "RESUME" {
		var ok bool
		ss, ok, err = s.db.session(ctx, cmd.session)
		if err != nil || !ok {
			fmt.Fprintf(c, "ERR unknown session %s\n", cmd.session)
			return
		}
		if ss.ended {
			fmt.Fprintf(c, "END %d\n", ss.last.Milliseconds())
			return
		}
	}
	stop := make(chan time.Duration, 1) // STOP's last frame received, -1 if not given
	go func() {
		if l, err := readLine(r); err == nil {
			if cmd, err := parseCommand(l); err == nil && cmd.verb == "STOP" {
				stop <- cmd.until
				return
			}
		}
		c.Close() // anything else, or the viewer went away
	}()
	context.AfterFunc(sctx, func() { abort(c); c.Close() })
	first := ss.first
	if cmd.verb == "RESUME" {
		first = -1
	}
	if _, err := fmt.Fprintf(c, "SESSION %s\n", ss.id); err != nil {
		return
	}
	clean = s.stream(sctx, c, ss, first, stop)
}

// abort makes Close reset the connection (SO_LINGER 0): a connection to a
// peer that vanished behind a renumbered NAT would otherwise linger in the
// kernel, retransmitting, and keep the namespace alive after the run.
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

// stream writes frames until stop (then END, and true) or the connection
// fails. The viewing ends at the frame the STOP names if it is earlier than
// the last frame sent (never before the session's first frame).
func (s *Server) stream(ctx context.Context, c net.Conn, ss session, first time.Duration, stop chan time.Duration) bool {
	frame := time.Duration(s.Options.Frame)
	tick := s.env.Clock.NewTicker(frame)
	defer tick.Stop()
	var last time.Duration
	var seq uint64
	send := func(at time.Duration) bool {
		seq++
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_, err := c.Write([]byte(FrameLine(Frame{Seq: seq, At: at, Program: ProgramAt(ss.service, at, time.Duration(s.Options.Programme))})))
		if err == nil {
			last = at
		}
		return err == nil
	}
	at := first
	if at < 0 {
		at = s.now()
	}
	if !send(at) {
		return false
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case until := <-stop:
			stopAt := last
			if until >= 0 {
				stopAt = max(ss.first, min(last, until))
			}
			end, err := s.db.endSession(context.WithoutCancel(ctx), ss.id, stopAt)
			if err != nil {
				fmt.Fprintf(c, "ERR store: %v\n", err)
				return false
			}
			_, err = fmt.Fprintf(c, "END %d\n", end.Milliseconds())
			s.log.Info("ratings.stream_end", "session", ss.id, "user", ss.user, "service", ss.service, "length", end-ss.first)
			return err == nil
		case <-tick.C:
			if !send(s.now()) {
				return false
			}
		}
	}
}

// claim makes this connection the one serving session id: it ends any
// earlier connection of it (a viewer resumed after a break) and waits until
// that one has returned. release gives the session up.
func (s *Server) claim(parent context.Context, id string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	mine := &liveStream{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	old := s.live[id]
	s.live[id] = mine
	s.mu.Unlock()
	if old != nil {
		old.cancel()
		select {
		case <-old.done:
		case <-time.After(5 * time.Second):
		}
	}
	return ctx, func() {
		cancel()
		close(mine.done)
		s.mu.Lock()
		if s.live[id] == mine {
			delete(s.live, id)
		}
		s.mu.Unlock()
	}
}

// liveStream is the connection serving a session.
type liveStream struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func readLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	return string(b[:len(b)-1]), nil
}

func newSessionID() string {
	var b [9]byte
	rand.Read(b[:])
	return "s" + hex.EncodeToString(b[:])
}
