package echo

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/journal"
	"github.com/boxlab/boxlab/sim/scenario"
)

// PingerOptions configure udp-pinger.
type PingerOptions struct {
	Server   string            `yaml:"server"`   // required: name of a udp-echo server
	Port     int               `yaml:"port"`     // default 7
	Interval scenario.Duration `yaml:"interval"` // between requests; default 1s
	Timeout  scenario.Duration `yaml:"timeout"`  // a request unanswered this long is lost; default 2s
}

// Check validates the options against the scenario.
func (o *PingerOptions) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	if o.Server == "" {
		errs = append(errs, scenario.FieldError{Field: "", Msg: `missing "server"; want the name of a udp-echo server`})
	} else if !s.HasServer(o.Server) {
		errs = append(errs, scenario.FieldError{Field: "server", Msg: fmt.Sprintf("no server named %q", o.Server)})
	}
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, scenario.FieldError{Field: "port", Msg: fmt.Sprintf("want a port 1..65535; got %d", o.Port)})
	}
	if o.Interval <= 0 {
		errs = append(errs, scenario.FieldError{Field: "interval", Msg: "want a positive duration"})
	}
	if o.Timeout <= 0 {
		errs = append(errs, scenario.FieldError{Field: "timeout", Msg: "want a positive duration"})
	}
	return errs
}

// Pinger is a running udp-pinger.
type Pinger struct {
	Options PingerOptions
}

// Run sends a request every interval until ctx ends.
func (p *Pinger) Run(ctx context.Context, env *devices.Env) error {
	addr, ok := env.Server(p.Options.Server)
	if !ok {
		return fmt.Errorf("udp-pinger: no server %q", p.Options.Server)
	}
	dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(p.Options.Port)))
	c, err := env.NS.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return fmt.Errorf("udp-pinger socket: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	var mu sync.Mutex
	pending := map[uint64]time.Time{} // seq -> real send instant
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.receive(ctx, env, c, &mu, pending)
	}()
	timeout := time.Duration(p.Options.Timeout)
	tick := env.Clock.NewTicker(time.Duration(p.Options.Interval))
	defer tick.Stop()
	// Start at a random phase so thousands of pingers do not send in lockstep.
	if err := env.Clock.Sleep(ctx, time.Duration(env.Rand.Int64N(int64(p.Options.Interval)))); err != nil {
		<-done
		return nil
	}
	for seq := uint64(1); ; seq++ {
		now := time.Now()
		mu.Lock()
		for s, sent := range pending {
			if env.Clock.Sim(now.Sub(sent)) > timeout {
				delete(pending, s)
				// Stamped when it was sent, so windows count the request that was lost.
				journal.LogAt(env.Log, sent, "echo.lost", "seq", s)
			}
		}
		pending[seq] = now
		mu.Unlock()
		if _, err := c.WriteToUDP(Request(seq), dst); err != nil {
			env.Log.Info("echo.send_error", "err", err.Error())
		} else {
			env.Log.Info("echo.request", "seq", seq)
		}
		select {
		case <-ctx.Done():
			c.Close()
			<-done
			return nil
		case <-tick.C:
		}
	}
}

func (p *Pinger) receive(ctx context.Context, env *devices.Env, c *net.UDPConn, mu *sync.Mutex, pending map[uint64]time.Time) {
	buf := make([]byte, maxDatagram+1)
	for {
		n, _, ok := devices.ReadUDP(ctx, c, buf, env.Log, "echo.recv_error")
		if !ok {
			return
		}
		seq, seen, err := ParseReply(buf[:n])
		if err != nil {
			env.Log.Info("echo.bad_reply", "err", err.Error())
			continue
		}
		mu.Lock()
		sent, ok := pending[seq]
		delete(pending, seq)
		mu.Unlock()
		if !ok {
			env.Log.Info("echo.late_reply", "seq", seq)
			continue
		}
		env.Log.Info("echo.reply", "seq", seq, "rtt", env.Clock.Sim(time.Since(sent)), "seen", seen.String())
		switch seen.Addr() {
		case env.Public():
			env.Log.Info("echo.translated", "seen", seen.String())
		case env.Addr:
			env.Log.Info("echo.untranslated", "seen", seen.String())
		default:
			env.Log.Info("echo.unexpected_source", "seen", seen.String(), "public", env.Public().String())
		}
	}
}
