package discover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/boxlab/boxlab/sim/clock"
)

// Options tune Probe. The zero value probes everything but mapping lifetime.
type Options struct {
	// Clock is the scenario clock: lifetime idle times are simulated time
	// and the report's durations are read on it. nil means real time.
	Clock *clock.Clock
	// RTO is the first retransmission timeout in real time (it is about the
	// network, not the scenario); default 100ms. It doubles on every send.
	RTO time.Duration
	// Attempts is how many times a request is sent before "no answer";
	// default 4, so no answer takes 15·RTO.
	Attempts int
	// MaxLifetime is the upper bound of the mapping lifetime search, in
	// simulated time; 0 skips the measurement.
	MaxLifetime time.Duration
	// Precision is the relative error allowed on the lifetime; default 0.05.
	Precision float64
	// Parallel is how many lifetime trials run at once; default 4.
	Parallel int
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.New(1)
	}
	if o.RTO <= 0 {
		o.RTO = 100 * time.Millisecond
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Precision <= 0 {
		o.Precision = 0.05
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	return o
}

type prober struct {
	opts   Options
	dial   func() (net.PacketConn, error)
	server netip.AddrPort

	mu    sync.Mutex
	conns []net.PacketConn
	rep   *Report
}

// Probe discovers the behaviour of the NATs between fresh sockets made by
// dial and an RFC 5780 server (RFC 5780 §4): mapping (tests I–III),
// filtering (tests I–III with CHANGE-REQUEST), port preservation,
// hairpinning and, if opts.MaxLifetime is set, mapping lifetime. It returns
// an error only when the server does not answer at all or ctx ends; a test
// that cannot decide leaves its result Unknown and says why in Notes.
func Probe(ctx context.Context, dial func() (net.PacketConn, error), server netip.AddrPort, opts Options) (*Report, error) {
	p := &prober{opts: opts.withDefaults(), dial: dial, server: server,
		rep: &Report{Server: server, Mapping: Unknown, Filtering: Unknown}}
	defer p.closeAll()
	s1, err := p.socket()
	if err != nil {
		return p.rep, err
	}
	first, err := p.mapping(ctx, s1)
	if err != nil {
		return p.rep, err
	}
	if err := p.filtering(ctx); err != nil {
		return p.rep, err
	}
	if err := p.hairpin(ctx, s1, first); err != nil {
		return p.rep, err
	}
	if p.opts.MaxLifetime > 0 {
		if err := p.lifetime(ctx); err != nil {
			return p.rep, err
		}
	}
	return p.rep, nil
}

func (p *prober) socket() (net.PacketConn, error) {
	c, err := p.dial()
	if err != nil {
		return nil, fmt.Errorf("probe socket: %w", err)
	}
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	return c, nil
}

func (p *prober) release(c net.PacketConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.conns {
		if x == c {
			p.conns = append(p.conns[:i], p.conns[i+1:]...)
			break
		}
	}
	c.Close()
}

func (p *prober) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *prober) note(format string, args ...any) {
	p.mu.Lock()
	p.rep.Notes = append(p.rep.Notes, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

func (p *prober) observe(o Observation) {
	p.mu.Lock()
	p.rep.Observations = append(p.rep.Observations, o)
	p.mu.Unlock()
}

// do runs x and records it; errNoAnswer is not an error here.
func (p *prober) do(ctx context.Context, x *exchange) (Observation, error) {
	_, obs, err := p.run(ctx, x)
	p.observe(obs)
	if errors.Is(err, errNoAnswer) {
		err = nil
	}
	return obs, err
}

// mapping is RFC 5780 §4.3; it returns test I's observation.
func (p *prober) mapping(ctx context.Context, s1 net.PacketConn) (Observation, error) {
	m, o1, err := p.run(ctx, &exchange{test: "mapping I", send: s1, recv: s1, to: p.server})
	p.observe(o1)
	if errors.Is(err, errNoAnswer) {
		return o1, fmt.Errorf("probe: no answer from STUN server %v after %d sends", p.server, o1.Sends)
	}
	if err != nil {
		return o1, err
	}
	r := p.rep
	r.Local, r.Mapped = o1.Local, o1.Mapped
	r.NATDetected = o1.Mapped.Port() != o1.Local.Port() ||
		(o1.Local.Addr().IsValid() && !o1.Local.Addr().IsUnspecified() && o1.Mapped.Addr() != o1.Local.Addr())
	r.PortPreservation = o1.Mapped.Port() == o1.Local.Port()
	if other, err := m.Alternate(); err == nil && other.Addr() != p.server.Addr() && other.Port() != p.server.Port() {
		r.Other = other
	} else {
		p.note("the server sent no usable OTHER-ADDRESS: it is not an RFC 5780 server; mapping and filtering unknown")
		return o1, nil
	}
	o2, err := p.do(ctx, &exchange{test: "mapping II", send: s1, recv: s1, to: netip.AddrPortFrom(r.Other.Addr(), p.server.Port())})
	switch {
	case err != nil:
		return o1, err
	case !o2.Answered:
		p.note("mapping test II (to the alternate address) went unanswered")
		return o1, nil
	case o2.Mapped == o1.Mapped:
		r.Mapping = EndpointIndependent
		return o1, nil
	}
	o3, err := p.do(ctx, &exchange{test: "mapping III", send: s1, recv: s1, to: r.Other})
	switch {
	case err != nil:
		return o1, err
	case !o3.Answered:
		p.note("mapping test III (to the alternate address and port) went unanswered")
	case o3.Mapped == o2.Mapped:
		r.Mapping = AddressDependent
	default:
		r.Mapping = AddressAndPortDependent
	}
	return o1, nil
}

// filtering is RFC 5780 §4.4, on a fresh socket so that the mapping tests'
// packets to the alternate address have opened nothing.
func (p *prober) filtering(ctx context.Context) error {
	if !p.rep.Other.IsValid() {
		return nil
	}
	s, err := p.socket()
	if err != nil {
		return err
	}
	defer p.release(s)
	o1, err := p.do(ctx, &exchange{test: "filtering I", send: s, recv: s, to: p.server})
	if err != nil || !o1.Answered {
		p.note("filtering test I went unanswered")
		return err
	}
	o2, err := p.do(ctx, &exchange{test: "filtering II", send: s, recv: s, to: p.server, changeIP: true, changePort: true})
	if err != nil {
		return err
	}
	if o2.Answered {
		p.rep.Filtering = EndpointIndependent
		p.checkOrigin(o2, p.rep.Other)
		return nil
	}
	o3, err := p.do(ctx, &exchange{test: "filtering III", send: s, recv: s, to: p.server, changePort: true})
	if err != nil {
		return err
	}
	if o3.Answered {
		p.rep.Filtering = AddressDependent
		p.checkOrigin(o3, netip.AddrPortFrom(p.server.Addr(), p.rep.Other.Port()))
	} else {
		p.rep.Filtering = AddressAndPortDependent
	}
	return nil
}

// checkOrigin notes an answer that did not come from where CHANGE-REQUEST
// asked: the classification then says more about the server than the NAT.
func (p *prober) checkOrigin(o Observation, want netip.AddrPort) {
	if o.From != want {
		p.note("%s: answer came from %v; the server should have sent it from %v", o.Test, o.From, want)
	}
}

// hairpin is RFC 5780 §4.5: a second socket sends a Binding Request to the
// first socket's mapped address and the first socket must receive it. The
// first socket sends a packet to the second's mapped address before every
// try, so that a filtering NAT has a reason to let the hairpinned packet
// in: the test then measures hairpinning, not filtering.
func (p *prober) hairpin(ctx context.Context, s1 net.PacketConn, first Observation) error {
	s3, err := p.socket()
	if err != nil {
		return err
	}
	defer p.release(s3)
	o, err := p.do(ctx, &exchange{test: "hairpin: second mapping", send: s3, recv: s3, to: p.server})
	if err != nil || !o.Answered {
		p.note("hairpin: the second socket got no mapping")
		return err
	}
	punch := func() { s1.WriteTo([]byte("boxlab hairpin punch"), net.UDPAddrFromAddrPort(o.Mapped)) }
	h, err := p.do(ctx, &exchange{test: "hairpin", send: s3, recv: s1, to: first.Mapped, before: punch})
	if err != nil {
		return err
	}
	p.rep.Hairpinning = h.Answered
	if h.Answered && h.From != o.Mapped {
		p.note("hairpin: the packet arrived from %v, not from the sender's mapped address %v (RFC 4787 REQ-9b)", h.From, o.Mapped)
	}
	return nil
}
