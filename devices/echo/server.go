package echo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Roles are the echo roles.
func Roles() []devices.Role {
	return []devices.Role{
		{Name: "udp-echo", Doc: "UDP echo server that reports the source address it saw",
			Options: func() any { return &ServerOptions{Port: 7} },
			New:     func(o any) (devices.Device, error) { return &Server{Options: *o.(*ServerOptions)}, nil }},
		{Name: "udp-pinger", Doc: "sends numbered UDP requests to a udp-echo server and measures replies",
			Options: func() any {
				return &PingerOptions{Port: 7, Interval: scenario.Duration(1e9), Timeout: scenario.Duration(2e9)}
			},
			New: func(o any) (devices.Device, error) { return &Pinger{Options: *o.(*PingerOptions)}, nil }},
	}
}

// ServerOptions configure udp-echo.
type ServerOptions struct {
	Port int `yaml:"port"` // UDP port; default 7
}

// Check validates the options.
func (o *ServerOptions) Check(*scenario.Scenario) []scenario.FieldError {
	if o.Port < 1 || o.Port > 65535 {
		return []scenario.FieldError{{Field: "port", Msg: fmt.Sprintf("want a port 1..65535; got %d", o.Port)}}
	}
	return nil
}

// Server is a running udp-echo.
type Server struct {
	Options ServerOptions
}

// Run answers requests until ctx ends.
func (s *Server) Run(ctx context.Context, env *devices.Env) error {
	c, err := env.NS.ListenPacket("udp4", fmt.Sprintf(":%d", s.Options.Port))
	if err != nil {
		return fmt.Errorf("udp-echo listen: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	// Thousands of pingers share this socket: a default 208 KiB buffer holds
	// ~250 datagrams, lost in any scheduling hiccup at 2,000 per second.
	if err := ns.ForceReadBuffer(c, 8<<20); err != nil {
		env.Log.Info("echo.rcvbuf_error", "err", err.Error())
	}
	buf := make([]byte, maxDatagram+1)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("udp-echo read: %w", err)
		}
		src := from.(*net.UDPAddr).AddrPort()
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		seq, err := ParseRequest(buf[:n])
		if err != nil {
			env.Log.Info("echo.bad_request", "from", src.String(), "err", err.Error())
			continue
		}
		if _, err := c.WriteTo(Reply(seq, src), from); err != nil {
			env.Log.Info("echo.send_error", "err", err.Error())
			continue
		}
		env.Log.Info("echo.serve", "from", src.String())
	}
}
