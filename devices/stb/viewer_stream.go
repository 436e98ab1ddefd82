package stb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// streamConn is one connection of the content stream.
type streamConn struct {
	c net.Conn
	r *bufio.Reader
}

func (r *viewerRun) dialStream(ctx context.Context, first string) (*streamConn, error) {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := r.env.NS.DialContext(dctx, "tcp4", r.stream.String())
	if err != nil {
		return nil, err
	}
	ratings.BoundRetransmits(c)
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(first)); err != nil {
		c.Close()
		return nil, err
	}
	return &streamConn{c: c, r: bufio.NewReaderSize(c, 512)}, nil
}

func (s *streamConn) read(deadline time.Time) (ratings.StreamLine, error) {
	s.c.SetReadDeadline(deadline)
	b, err := s.r.ReadSlice('\n')
	if err != nil {
		return ratings.StreamLine{}, err
	}
	return ratings.ParseStreamLine(string(b[:len(b)-1]))
}

// abort closes with a reset (SO_LINGER 0), so a connection through a NAT
// that forgot it does not linger in the kernel after the run.
func (s *streamConn) abort() {
	if tc, ok := s.c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	s.c.Close()
}

func (s *streamConn) send(line string) error {
	s.c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, err := s.c.Write([]byte(line))
	return err
}

// viewing is what the viewer knows of one viewing, all in the server's
// frame timestamps.
type viewing struct {
	service, session, program string
	first, last               time.Duration
	frames                    int
	loggedIn                  bool
}

// watch watches service for dwell (simulated), resuming the stream after
// breaks, then leaves cleanly: STOP, END, LogOutInfo if it counted.
func (r *viewerRun) watch(ctx context.Context, service string, dwell time.Duration) {
	end := time.Now().Add(r.env.Clock.Real(dwell))
	// A stream silent this long (real time) is broken: a WAN change or a
	// crash leaves the TCP connection dead without a reset. Waiting for END
	// allows longer, for a busy server that is committing the STOP.
	silence := max(500*time.Millisecond, r.env.Clock.Real(3*r.guide.FrameInterval))
	v := viewing{service: service}
	defer r.watching.set(ratings.PollAnswer{})
	var conn *streamConn
	defer func() {
		if conn != nil {
			conn.abort() // the run is ending mid-viewing
		}
	}()
	stopping := false
	backoff := 300 * time.Millisecond
	lastRecv := time.Now()
	for ctx.Err() == nil {
		if !stopping && (time.Now().After(end) || r.done(ctx)) {
			stopping = true
			r.watching.set(ratings.PollAnswer{}) // leaving: no longer watching
			if conn != nil && conn.send(stopLine(v)) != nil {
				conn.abort()
				conn = nil
			}
		}
		if conn == nil {
			if stopping && v.session == "" {
				return // never got a session: nothing was watched
			}
			first := fmt.Sprintf("WATCH %s %s\n", r.user, service)
			if v.session != "" {
				first = "RESUME " + v.session + "\n"
				if stopping {
					first += stopLine(v)
				}
			}
			c, err := r.dialStream(ctx, first)
			if err != nil {
				r.env.Log.Info("stb.stream_error", "err", err.Error())
				r.env.Clock.Sleep(ctx, backoff)
				backoff = min(2*backoff, 4*time.Second)
				continue
			}
			conn, backoff, lastRecv = c, 300*time.Millisecond, time.Now()
		}
		deadline := time.Now().Add(silence)
		if !stopping && end.Before(deadline) {
			deadline = end
		}
		quiet := silence
		if stopping {
			quiet = max(3*time.Second, silence)
			deadline = time.Now().Add(quiet)
		}
		line, err := conn.read(deadline)
		if errors.Is(err, os.ErrDeadlineExceeded) && time.Since(lastRecv) < quiet {
			continue
		}
		if err != nil {
			r.env.Log.Info("stb.stream_break", "session", v.session, "err", err.Error())
			conn.abort()
			conn = nil
			continue
		}
		lastRecv = time.Now()
		switch line.Kind {
		case "SESSION":
			v.session = line.Session
		case "FRAME":
			r.frame(&v, line.Frame, stopping)
		case "END":
			if v.frames > 0 && line.End != v.last { // with no frame, a bare STOP ends at the server's last
				r.env.Log.Info("stb.end_mismatch", "session", v.session, "end", line.End, "last_frame", v.last)
			}
			r.leave(v)
			conn.c.Close()
			conn = nil
			return
		case "ERR":
			r.env.Log.Info("stb.stream_refused", "session", v.session, "err", line.Err)
			return
		}
	}
}

// stopLine ends the viewing at the last frame received (a bare STOP if
// none came).
func stopLine(v viewing) string {
	if v.frames == 0 {
		return "STOP\n"
	}
	return ratings.StopLine(v.last)
}

func (r *viewerRun) frame(v *viewing, f ratings.Frame, stopping bool) {
	if stopping {
		return // sent before the server read our STOP: not part of the viewing
	}
	if v.frames == 0 {
		v.first, v.program = f.At, f.Program
	}
	v.last = f.At
	v.frames++
	if !stopping && v.last-v.first >= r.guide.MinViewing {
		r.watching.set(ratings.PollAnswer{Service: v.service, Session: v.session, First: v.first, Last: v.last})
	}
	if !v.loggedIn && v.last-v.first >= r.guide.MinViewing {
		v.loggedIn = true
		r.rep.enqueue(r.report(ratings.LogIn, r.user, v.service, v.program, v.session))
	}
}

// leave ends a viewing: one that reached the minimum is logged out and
// posted as ground truth.
func (r *viewerRun) leave(v viewing) {
	d := v.last - v.first
	if v.frames == 0 || d < r.guide.MinViewing {
		r.env.Log.Info("stb.zap", "service", v.service, "length", d)
		return
	}
	if !v.loggedIn {
		r.rep.enqueue(r.report(ratings.LogIn, r.user, v.service, v.program, v.session))
	}
	r.rep.enqueue(r.report(ratings.LogOut, r.user, v.service, v.program, v.session))
	r.env.Truth.Add(ratings.TruthTopic(r.Options.Server), audience.Viewing{User: r.user, Service: v.service,
		Program: v.program, Start: v.first, End: v.last, Session: v.session})
	r.env.Log.Info("stb.viewing", "service", v.service, "program", v.program, "session", v.session, "length", d)
}
