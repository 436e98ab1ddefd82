package stun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Socket is one of the server's four UDP sockets and the address clients
// reach it at (the address written into OTHER-ADDRESS, RESPONSE-ORIGIN…).
type Socket struct {
	Conn net.PacketConn
	Addr netip.AddrPort
}

// Server is an RFC 5780 STUN server on two addresses × two ports that also
// answers RFC 3489 classic Binding Requests. The sockets belong to the
// caller: Serve neither opens nor closes them.
type Server struct {
	socks [2][2]Socket // [address][port]: [0][0] is A1:P1, [1][1] is A2:P2

	// OnRequest, if set before Serve, is called once for every request
	// answered or refused, from the socket's reading goroutine.
	OnRequest func(Request)

	rfc5389, classic, refused, malformed, ignored, sendErrors atomic.Uint64
}

// Request describes one handled request, for OnRequest.
type Request struct {
	Dialect   Dialect
	From      netip.AddrPort // the request's source
	To        netip.AddrPort // the server socket it arrived on
	ReplyFrom netip.AddrPort // the server socket that answered
	ReplyTo   netip.AddrPort // where the answer went: From, or From's address with RESPONSE-PORT
	ChangeIP  bool
	ashPort   struct{}
	// ChangePort is the CHANGE-REQUEST port flag.
	ChangePort bool
	ErrorCode  int    // 0 for a Binding Success
	Reason     string // the error's reason phrase
}

// Stats are the server's counters since it was made.
type Stats struct {
	RFC5389    uint64 `json:"rfc5389"`     // well-formed RFC 5389 requests
	Classic    uint64 `json:"rfc3489"`     // well-formed RFC 3489 requests
	Refused    uint64 `json:"refused"`     // requests answered with an error response
	Malformed  uint64 `json:"malformed"`   // datagrams that are not a STUN message
	Ignored    uint64 `json:"ignored"`     // well-formed messages that are not requests
	SendErrors uint64 `json:"send_errors"` // answers the kernel did not take
}

// NewServer checks that the four sockets form the RFC 5780 square: two
// distinct addresses of one family, two distinct ports, each socket at the
// crossing of one address and one port.
func NewServer(a1p1, a1p2, a2p1, a2p2 Socket) (*Server, error) {
	s := &Server{socks: [2][2]Socket{{a1p1, a1p2}, {a2p1, a2p2}}}
	names := [2][2]string{{"A1:P1", "A1:P2"}, {"A2:P1", "A2:P2"}}
	for i := range 2 {
		for j := range 2 {
			k := s.socks[i][j]
			if k.Conn == nil || !k.Addr.IsValid() || k.Addr.Port() == 0 {
				return nil, fmt.Errorf("stun server: socket %s: want a connection and an address with a port", names[i][j])
			}
			s.socks[i][j].Addr = netip.AddrPortFrom(k.Addr.Addr().Unmap(), k.Addr.Port())
		}
	}
	a1, a2 := s.socks[0][0].Addr, s.socks[1][1].Addr
	switch {
	case a1.Addr() == a2.Addr() || a1.Addr().Is4() != a2.Addr().Is4():
		return nil, fmt.Errorf("stun server: addresses %v and %v; want two distinct addresses of one family", a1.Addr(), a2.Addr())
	case a1.Port() == a2.Port():
		return nil, fmt.Errorf("stun server: ports %d and %d; want two distinct ports", a1.Port(), a2.Port())
	}
	for i := range 2 {
		for j := range 2 {
			want := netip.AddrPortFrom(s.socks[i][0].Addr.Addr(), s.socks[0][j].Addr.Port())
			if s.socks[i][j].Addr != want {
				return nil, fmt.Errorf("stun server: socket %s is %v; want %v", names[i][j], s.socks[i][j].Addr, want)
			}
		}
	}
	return s, nil
}

// Addrs returns the four addresses in the order NewServer took them.
func (s *Server) Addrs() [4]netip.AddrPort {
	return [4]netip.AddrPort{s.socks[0][0].Addr, s.socks[0][1].Addr, s.socks[1][0].Addr, s.socks[1][1].Addr}
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{RFC5389: s.rfc5389.Load(), Classic: s.classic.Load(), Refused: s.refused.Load(),
		Malformed: s.malformed.Load(), Ignored: s.ignored.Load(), SendErrors: s.sendErrors.Load()}
}

// Serve answers on all four sockets until ctx ends (it returns nil then) or
// a socket fails (it returns that error). It unblocks its reads with a read
// deadline, so the sockets stay usable by the caller.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		for i := range 2 {
			for j := range 2 {
				s.socks[i][j].Conn.SetReadDeadline(time.Now())
			}
		}
	})
	defer stop()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range 2 {
		for j := range 2 {
			wg.Go(func() {
				errs[2*i+j] = s.serveSocket(ctx, i, j)
				if errs[2*i+j] != nil {
					cancel()
				}
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Server) serveSocket(ctx context.Context, i, j int) error {
	c := s.socks[i][j].Conn
	buf := make([]byte, 64*1024)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return fmt.Errorf("stun server %v: %w", s.socks[i][j].Addr, err)
		}
		u, ok := from.(*net.UDPAddr)
		if !ok {
			s.malformed.Add(1)
			continue
		}
		src := u.AddrPort()
		s.handle(i, j, buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
	}
}

// reply is what handle decided: which socket answers, to whom, with what.
type reply struct {
	from, to netip.AddrPort
	i, j     int
	msg      *Message
	req      Request
}

func (s *Server) handle(i, j int, b []byte, src netip.AddrPort) {
	m, err := Parse(b)
	if err != nil {
		s.malformed.Add(1)
		return
	}
	if m.Type&0x0110 != 0 { // not a request: responses and indications are not ours to answer
		s.ignored.Add(1)
		return
	}
	if m.Dialect == RFC5389 {
		s.rfc5389.Add(1)
	} else {
		s.classic.Add(1)
	}
	r := s.answer(m, i, j, src)
	if r.req.ErrorCode != 0 {
		s.refused.Add(1)
	}
	var wire []byte
	if m.Dialect == RFC5389 {
		wire, err = BuildRFC5389Fingerprint(r.msg)
	} else {
		wire, err = BuildClassic(r.msg)
	}
	if err == nil {
		_, err = s.socks[r.i][r.j].Conn.WriteTo(wire, net.UDPAddrFromAddrPort(r.to))
	}
	if err != nil {
		s.sendErrors.Add(1)
	}
	if s.OnRequest != nil {
		s.OnRequest(r.req)
	}
}

// answer builds the response to a well-formed request m that arrived on
// socket [i][j] from src. Nothing here ever addresses a host other than
// src's: RESPONSE-PORT changes the port only, RESPONSE-ADDRESS is refused.
func (s *Server) answer(m *Message, i, j int, src netip.AddrPort) reply {
	here := s.socks[i][j].Addr
	r := reply{from: here, to: src, i: i, j: j,
		req: Request{Dialect: m.Dialect, From: src, To: here, ReplyFrom: here, ReplyTo: src}}
	fail := func(code int, reason string, extra ...Attr) reply {
		r.req.ErrorCode, r.req.Reason = code, reason
		r.msg = &Message{Dialect: m.Dialect, Type: m.Type | 0x0110, TransactionID: m.TransactionID,
			Attrs: append([]Attr{ErrorAttr(code, reason)}, extra...)}
		return r
	}
	if m.Type != BindingRequest {
		return fail(400, "Bad Request: only Binding is served")
	}
	if unknown := unknownRequired(m); len(unknown) > 0 {
		return fail(420, "Unknown Attribute", UnknownAttributesAttr(unknown))
	}
	changeIP, changePort, _ := m.ChangeRequest() // validated by Parse
	r.req.ChangeIP, r.req.ChangePort = changeIP, changePort
	if m.Dialect == Classic && m.Has(AttrResponseAddress) {
		if ra, _ := m.ResponseAddress(); ra != src {
			return fail(400, "Bad Request: RESPONSE-ADDRESS refused; answers go only to the request's source")
		}
	}
	if port, ok, _ := m.ResponsePort(); ok {
		if port == 0 {
			return fail(400, "Bad Request: RESPONSE-PORT 0")
		}
		r.to = netip.AddrPortFrom(src.Addr(), port)
		r.req.ReplyTo = r.to
	}
	if changeIP {
		r.i = 1 - i
	}
	if changePort {
		r.j = 1 - j
	}
	r.from = s.socks[r.i][r.j].Addr
	r.req.ReplyFrom = r.from
	other := s.socks[1-i][1-j].Addr
	resp := &Message{Dialect: m.Dialect, Type: BindingSuccess, TransactionID: m.TransactionID}
	if m.Dialect == RFC5389 {
		resp.Attrs = []Attr{XORMappedAddressAttr(src, m.TransactionID), AddrAttr(AttrMappedAddress, src),
			AddrAttr(AttrResponseOrigin, r.from), AddrAttr(AttrOtherAddress, other)}
	} else {
		resp.Attrs = []Attr{AddrAttr(AttrMappedAddress, src), AddrAttr(AttrSourceAddress, r.from),
			AddrAttr(AttrChangedAddress, other)}
	}
	r.msg = resp
	return r
}

// understood lists the comprehension-required attributes a Binding Request
// may carry, per dialect. USERNAME and MESSAGE-INTEGRITY are accepted and
// not checked: this server does not authenticate.
var understood = map[Dialect]map[AttrType]bool{
	RFC5389: {AttrUsername: true, AttrMessageIntegrity: true, AttrChangeRequest: true, AttrPadding: true,
		AttrResponsePort: true, 0x001C: true /* MESSAGE-INTEGRITY-SHA256 */},
	Classic: {AttrResponseAddress: true, AttrChangeRequest: true, AttrUsername: true, AttrPassword: true,
		AttrMessageIntegrity: true},
}

func unknownRequired(m *Message) []AttrType {
	var out []AttrType
	for _, a := range m.Attrs {
		if a.Type.Required() && !understood[m.Dialect][a.Type] {
			out = append(out, a.Type)
		}
	}
	return out
}
