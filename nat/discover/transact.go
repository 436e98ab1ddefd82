package discover

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/boxlab/boxlab/nat/stun"
)

// errNoAnswer means every retransmission went unanswered.
var errNoAnswer = errors.New("no answer")

// exchange is one STUN transaction, retransmitted RFC 5389 §7.2.1 style
// (timeouts RTO, 2·RTO, 4·RTO… in real time). The request leaves from send
// and the answer is awaited on recv, which is send except for the hairpin
// and lifetime tests. Datagrams of other transactions are skipped.
type exchange struct {
	test       string
	send, recv net.PacketConn
	to         netip.AddrPort
	changeIP   bool
	changePort bool
	respPort   uint16    // RESPONSE-PORT, 0 for none
	before     func()    // called before every send (the hairpin punch)
	lastSend   time.Time // set by run: when the request last left
}

func (p *prober) run(ctx context.Context, x *exchange) (*stun.Message, Observation, error) {
	req := &stun.Message{Dialect: stun.RFC5389, Type: stun.BindingRequest, TransactionID: stun.NewTransactionID()}
	if x.changeIP || x.changePort {
		req.Attrs = append(req.Attrs, stun.ChangeRequestAttr(x.changeIP, x.changePort))
	}
	if x.respPort != 0 {
		req.Add(stun.AttrResponsePort, binary.BigEndian.AppendUint32(nil, uint32(x.respPort)<<16)) // port, then 2 reserved bytes
	}
	wire, err := stun.BuildRFC5389Fingerprint(req)
	obs := Observation{Test: x.test, Local: localAddr(x.send), To: x.to, ChangeIP: x.changeIP, ChangePort: x.changePort}
	if err != nil {
		return nil, obs, err
	}
	stop := context.AfterFunc(ctx, func() { x.recv.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 2048)
	wait := p.opts.RTO
	first := time.Now()
	for obs.Sends < p.opts.Attempts {
		if err := ctx.Err(); err != nil {
			return nil, obs, err
		}
		if x.before != nil {
			x.before()
		}
		x.lastSend = time.Now()
		obs.Sends++
		if _, err := x.send.WriteTo(wire, net.UDPAddrFromAddrPort(x.to)); err != nil {
			return nil, obs, err
		}
		deadline := time.Now().Add(wait)
		wait *= 2
		for {
			x.recv.SetReadDeadline(deadline)
			n, from, err := x.recv.ReadFrom(buf)
			if err != nil {
				if ctx.Err() != nil {
					return nil, obs, ctx.Err()
				}
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break
				}
				return nil, obs, err
			}
			m, err := stun.Parse(buf[:n])
			if err != nil || m.TransactionID != req.TransactionID {
				continue
			}
			obs.Answered = true
			obs.RTT = time.Since(first)
			if u, ok := from.(*net.UDPAddr); ok {
				obs.From = unmap(u.AddrPort())
			}
			if m.Type == stun.BindingRequest {
				return m, obs, nil // the hairpinned request itself
			}
			obs.Mapped, _ = m.Mapped()
			return m, obs, nil
		}
	}
	return nil, obs, errNoAnswer
}

func localAddr(c net.PacketConn) netip.AddrPort {
	if u, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return unmap(u.AddrPort())
	}
	return netip.AddrPort{}
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
