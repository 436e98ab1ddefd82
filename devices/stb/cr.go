package stb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/nat/stun"
)

// receive reads the CR socket: STUN responses from the STUN server and UDP
// connection requests, told apart by content (RDK-B does the same).
func (l *kaLife) receive(ctx context.Context, trigger chan<- struct{}) {
	o := &l.box.Options
	rx := &annexg.Receiver{Variant: o.Receiver}
	rx.Variant.RateLimit = time.Duration(o.RateLimit)
	buf := make([]byte, 2048)
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				l.env.Log.Info("stb.error", "during", "receive", "err", err.Error())
				continue
			}
			return
		}
		b := buf[:n]
		if bytes.HasPrefix(b, []byte("GET ")) {
			l.connectionRequest(rx, b, trigger)
			continue
		}
		from = netipUnmap(from)
		if from != l.stun {
			l.env.Log.Info("stb.cr_rejected", "reason", annexg.ReasonMalformed, "from", from.String())
			continue
		}
		m, err := stun.Parse(b)
		if err != nil {
			l.env.Log.Info("stb.error", "during", "stun parse", "err", err.Error())
			continue
		}
		l.onSTUN(m)
	}
}

func (l *kaLife) connectionRequest(rx *annexg.Receiver, b []byte, trigger chan<- struct{}) {
	l.mu.Lock()
	rx.Username, rx.Password = l.params.CRUsername, l.params.CRPassword
	l.mu.Unlock()
	v := rx.Check(b, l.env.Clock.Now())
	if !v.OK {
		l.env.Log.Info("stb.cr_rejected", "reason", v.Reason, "id", v.CR.ID)
		return
	}
	l.env.Log.Info("stb.cr_accepted", "id", v.CR.ID)
	if strings.HasPrefix(v.CR.Cn, acs.ForgedCnonce) {
		l.env.Log.Info("stb.forged_accepted", "id", v.CR.ID)
	}
	select {
	case trigger <- struct{}{}:
	default:
	}
}

// sessions opens an HTTP session per accepted connection request and runs
// every command the ACS hands over.
func (l *kaLife) sessions(ctx context.Context, reboot context.CancelCauseFunc, trigger <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-trigger:
		}
		for {
			var rep acs.SessionReply
			if err := l.post(ctx, "/cwmp/session", acs.SessionRequest{ID: l.env.Node}, &rep); err != nil {
				if ctx.Err() == nil {
					l.env.Log.Info("stb.error", "during", "session", "err", err.Error())
				}
				break
			}
			l.mu.Lock()
			if rep.Params.Generation != l.params.Generation && rep.Params.STUNUsername != "" {
				l.params = rep.Params
				l.env.Log.Info("stb.rotated", "generation", rep.Params.Generation)
			}
			l.mu.Unlock()
			if rep.Command == nil {
				break
			}
			res := l.execute(*rep.Command)
			if err := l.post(ctx, "/cwmp/result", res, nil); err != nil && ctx.Err() == nil {
				l.env.Log.Info("stb.error", "during", "result", "err", err.Error())
			}
			if rep.Command.Kind == "reboot" {
				reboot(errReboot)
				return
			}
		}
	}
}

// execute runs a command; reboot is carried out by the caller after the
// result is posted.
func (l *kaLife) execute(c acs.Command) acs.Result {
	l.env.Log.Info("stb.command", "kind", c.Kind, "command", c.ID)
	r := acs.Result{ID: l.env.Node, Command: c.ID, OK: true}
	switch c.Kind {
	case "get":
		r.Value = fmt.Sprintf("%d", int((l.env.Clock.Now() - l.boot).Seconds()))
	case "set", "reboot":
	default:
		r.OK, r.Error = false, "unsupported command "+c.Kind
	}
	return r
}
