package stunserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/nat/stun"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Name is the role's name in scenarios.
const Name = "stun-5780"

// Roles are the STUN roles.
func Roles() []devices.Role {
	return []devices.Role{{
		Name:    Name,
		Doc:     "RFC 5780 STUN server (RFC 5389 and RFC 3489 classic) on two addresses × two ports; needs addresses: 2",
		Options: func() any { return &Options{Port: 3478, AltPort: 3479} },
		New:     func(o any) (devices.Device, error) { return &Server{Options: *o.(*Options)}, nil },
	}}
}

// Options configure stun-5780.
type Options struct {
	Port    int `yaml:"port"`     // primary port P1; default 3478
	AltPort int `yaml:"alt_port"` // alternate port P2; default 3479
}

// Check validates the ports, and that every stun-5780 server has two addresses.
func (o *Options) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	for _, p := range []struct {
		field string
		v     int
	}{{"port", o.Port}, {"alt_port", o.AltPort}} {
		if p.v < 1 || p.v > 65535 {
			errs = append(errs, scenario.FieldError{Field: p.field, Msg: fmt.Sprintf("want a port 1..65535; got %d", p.v)})
		}
	}
	if o.Port == o.AltPort {
		errs = append(errs, scenario.FieldError{Field: "alt_port", Msg: fmt.Sprintf("want a port other than port %d (RFC 5780 needs two)", o.Port)})
	}
	for _, sv := range s.Topology.Servers {
		if sv.Role == Name && sv.Addresses < 2 {
			errs = append(errs, scenario.FieldError{Field: "", Msg: fmt.Sprintf("server %q: %s needs a server with addresses: 2; got %d", sv.Name, Name, sv.Addresses)})
		}
	}
	return errs
}

// Server is a running stun-5780.
type Server struct {
	Options Options
}

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context, env *devices.Env) error {
	if len(env.Addrs) < 2 {
		return fmt.Errorf("%s on %s: needs a server with addresses: 2; the node has %d", Name, env.Node, len(env.Addrs))
	}
	a1, a2 := env.Addrs[0], env.Addrs[1]
	var socks [4]stun.Socket
	for i, ap := range []netip.AddrPort{
		netip.AddrPortFrom(a1, uint16(s.Options.Port)), netip.AddrPortFrom(a1, uint16(s.Options.AltPort)),
		netip.AddrPortFrom(a2, uint16(s.Options.Port)), netip.AddrPortFrom(a2, uint16(s.Options.AltPort)),
	} {
		c, err := env.NS.ListenUDP(network(ap.Addr()), net.UDPAddrFromAddrPort(ap))
		if err != nil {
			closeAll(socks[:i])
			return fmt.Errorf("%s listen %v: %w", Name, ap, err)
		}
		socks[i] = stun.Socket{Conn: c, Addr: ap}
	}
	defer closeAll(socks[:])
	srv, err := stun.NewServer(socks[0], socks[1], socks[2], socks[3])
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	srv.OnRequest = func(r stun.Request) {
		if r.ErrorCode != 0 {
			env.Log.Info("stun.refused", "dialect", r.Dialect.String(), "from", r.From.String(), "code", r.ErrorCode, "reason", r.Reason)
			return
		}
		env.Log.Info("stun.serve", "dialect", r.Dialect.String(), "from", r.From.String(), "to", r.To.String(),
			"reply_from", r.ReplyFrom.String(), "change_ip", r.ChangeIP, "change_port", r.ChangePort)
	}
	err = srv.Serve(ctx)
	st := srv.Stats()
	env.Log.Info("stun.stats", "rfc5389", st.RFC5389, "rfc3489", st.Classic, "refused", st.Refused,
		"malformed", st.Malformed, "ignored", st.Ignored, "send_errors", st.SendErrors)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return nil
}

func network(a netip.Addr) string {
	if a.Is4() || a.Is4In6() {
		return "udp4"
	}
	return "udp6"
}

func closeAll(s []stun.Socket) {
	for _, k := range s {
		if k.Conn != nil {
			k.Conn.Close()
		}
	}
}
