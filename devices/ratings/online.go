package ratings

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net"
	"sync"
	"time"
)

// onlineConn is the control channel of one online terminal.
type onlineConn struct {
	user  string
	c     net.Conn
	wmu   sync.Mutex
	subMu sync.Mutex // orders subscription lists (pushSubs)
}

func (o *onlineConn) send(line string) error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	o.c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, err := o.c.Write([]byte(line))
	return err
}

// maxDrops: a control channel that had this many bursts' worth of lines
// dropped is closed.
const maxDrops = 10

// poll is one "are you watching?" round (method B).
type poll struct {
	id      uint64
	at      time.Duration // server time the poll went out
	asked   map[string]bool
	answers map[string]PollAnswer // user -> answer
	arrived map[string]time.Duration
}

func (s *Server) serveControl(ctx context.Context, l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go s.serveControlConn(ctx, c)
	}
}

// serveControlConn authenticates a terminal (CHALLENGE / HELLO), marks it
// online and reads its answers until the connection ends.
func (s *Server) serveControlConn(ctx context.Context, c net.Conn) {
	defer func() { abort(c); c.Close() }()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var nb [12]byte
	rand.Read(nb[:])
	nonce := hex.EncodeToString(nb[:])
	o := &onlineConn{c: c}
	if o.send("CHALLENGE "+nonce+"\n") != nil {
		return
	}
	r := bufio.NewReaderSize(c, maxLine)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := readLine(r)
	if err != nil {
		return
	}
	hello, err := ParseControlLine(line)
	if err != nil || hello.Verb != "HELLO" {
		s.log.Info("ratings.control_rejected", "reason", "bad_hello", "from", c.RemoteAddr().String())
		o.send("ERR want HELLO <user> <proof>\n")
		return
	}
	pass, ok := s.password(hello.User)
	if !ok || subtle.ConstantTimeCompare([]byte(hello.Proof), []byte(ControlProof(pass, nonce))) != 1 {
		s.log.Info("ratings.control_rejected", "reason", "bad_proof", "user", hello.User, "from", c.RemoteAddr().String())
		o.send("ERR authentication failed\n")
		return
	}
	o.user = hello.User
	if o.send("WELCOME\n") != nil {
		return
	}
	s.onMu.Lock()
	if old := s.online[o.user]; old != nil {
		old.c.Close() // the terminal reconnected (e.g. after a WAN change)
	}
	s.online[o.user] = o
	s.onMu.Unlock()
	s.log.Info("ratings.online", "user", o.user, "from", c.RemoteAddr().String())
	s.pushSubs(ctx, o, false) // seed §1 C: the server syncs subscriptions when the terminal comes online
	budget := newLineBudget(s.Options.ControlRate, s.Options.ControlBurst)
	defer func() {
		s.onMu.Lock()
		if s.online[o.user] == o {
			delete(s.online, o.user)
		}
		s.onMu.Unlock()
		s.log.Info("ratings.offline", "user", o.user, "dropped", float64(budget.dropped))
	}()
	c.SetReadDeadline(time.Time{})
	for {
		line, err := readLine(r)
		if err != nil {
			return
		}
		if ok, episode := budget.allow(s.now()); !ok {
			if episode {
				s.log.Info("ratings.control_limited", "user", o.user, "dropped", float64(budget.dropped))
			}
			if budget.dropped >= maxDrops*s.Options.ControlBurst {
				s.log.Info("ratings.control_rejected", "reason", "rate_limit", "user", o.user, "dropped", float64(budget.dropped))
				o.send("ERR rate limit exceeded\n")
				return
			}
			continue
		}
		l, err := ParseControlLine(line)
		if err != nil {
			s.log.Info("ratings.control_rejected", "reason", "bad_line", "user", o.user)
			continue
		}
		s.handleControl(ctx, o, l)
	}
}

func (s *Server) recordAnswer(user string, l ControlLine) {
	s.onMu.Lock()
	defer s.onMu.Unlock()
	var p *poll
	for i := len(s.polls) - 1; i >= 0 && p == nil; i-- {
		if s.polls[i].id == l.Poll {
			p = s.polls[i]
		}
	}
	if p == nil || !p.asked[user] {
		s.log.Info("ratings.control_rejected", "reason", "unasked_answer", "user", user, "poll", l.Poll)
		return
	}
	if _, dup := p.answers[user]; dup {
		return
	}
	p.answers[user] = l.Answer
	p.arrived[user] = s.now()
}

// sampled decides whether user is asked in poll id: everyone at share 1,
// else a deterministic hash of both below share.
func sampled(user string, id uint64, share float64) bool {
	if share >= 1 {
		return true
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", user, id)
	return float64(h.Sum64()%1_000_000)/1e6 < share
}

// pollLoop asks the online terminals (a sampled share of them) what they
// watch, every Poll of simulated time.
func (s *Server) pollLoop(ctx context.Context) {
	t := s.env.Clock.NewTicker(time.Duration(s.Options.Poll))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.onMu.Lock()
		s.pollSeq++
		p := &poll{id: s.pollSeq, at: s.now(), asked: map[string]bool{}, answers: map[string]PollAnswer{}, arrived: map[string]time.Duration{}}
		var to []*onlineConn
		for u, o := range s.online {
			if sampled(u, p.id, s.Options.PollSample) {
				p.asked[u] = true
				to = append(to, o)
			}
		}
		s.polls = append(s.polls, p)
		s.onMu.Unlock()
		line := fmt.Sprintf("POLL %d %d\n", p.id, p.at.Milliseconds())
		for _, o := range to {
			go o.send(line)
		}
		s.log.Info("ratings.poll", "poll", float64(p.id), "asked", float64(len(to)))
	}
}
