package relay

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/pion/turn/v4"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Name is the role's name in scenarios.
const Name = "turn"

// Roles is the TURN relay role.
func Roles() []devices.Role {
	return []devices.Role{{Name: Name,
		Doc:     "TURN relay (pion/turn v4, UDP) with TURN REST ephemeral credentials from a shared secret: seed 001's fallback when hole punching fails",
		Options: func() any { return DefaultOptions() },
		New:     func(o any) (devices.Device, error) { return &Server{Options: *o.(*Options)}, nil }}}
}

// Options configure the relay.
type Options struct {
	Port   int    `yaml:"port"`   // UDP port; default 3478
	Realm  string `yaml:"realm"`  // default boxlab
	Secret string `yaml:"secret"` // shared with the rendezvous server's relay.secret; default boxlab-relay
}

// DefaultOptions are the defaults.
func DefaultOptions() *Options { return &Options{Port: 3478, Realm: "boxlab", Secret: "boxlab-relay"} }

// Check validates the options.
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, scenario.FieldError{Field: "port", Msg: fmt.Sprintf("want a port 1..65535; got %d", o.Port)})
	}
	if o.Realm == "" {
		errs = append(errs, scenario.FieldError{Field: "realm", Msg: "want a realm"})
	}
	if o.Secret == "" {
		errs = append(errs, scenario.FieldError{Field: "secret", Msg: "want the shared secret of the TURN REST credentials"})
	}
	return errs
}

// Server is a running relay.
type Server struct {
	Options Options
}

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context, env *devices.Env) error {
	o := s.Options
	conn, err := env.NS.ListenUDP("udp4", &net.UDPAddr{Port: o.Port})
	if err != nil {
		return fmt.Errorf("turn listen: %w", err)
	}
	if err := ns.ForceReadBuffer(conn, 4<<20); err != nil {
		env.Log.Info("turn.rcvbuf_error", "err", err.Error())
	}
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm:         o.Realm,
		LoggerFactory: loggerFactory{log: env.Log, event: "turn.log"},
		AuthHandler: func(username, realm string, src net.Addr) ([]byte, bool) {
			pw, err := Check(o.Secret, username, time.Now())
			if err != nil {
				env.Log.Info("turn.auth_refused", "user", username, "from", src.String(), "why", err.Error())
				return nil, false
			}
			return turn.GenerateAuthKey(username, realm, pw), true
		},
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(src, _ net.Addr, _, username, _ string, relayed net.Addr, _ int) {
				env.Log.Info("turn.allocation", "user", username, "client", src.String(), "relayed", relayed.String())
			},
			OnAllocationDeleted: func(src, _ net.Addr, _, username, _ string) {
				env.Log.Info("turn.allocation_deleted", "user", username, "client", src.String())
			},
			OnPermissionCreated: func(_, _ net.Addr, _, username, _ string, _ net.Addr, peer net.IP) {
				env.Log.Info("turn.permission", "user", username, "peer", peer.String())
			},
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: conn, RelayAddressGenerator: &relayAddrs{env: env}}},
	})
	if err != nil {
		conn.Close()
		return fmt.Errorf("turn server: %w", err)
	}
	env.Log.Info("turn.start", "port", o.Port)
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("turn close: %w", err)
	}
	return nil
}

// relayAddrs opens relayed sockets in the node's namespace on its own
// address: a relayed address is what the internet sees of the server.
type relayAddrs struct{ env *devices.Env }

func (r *relayAddrs) Validate() error {
	if !r.env.Addr.Is4() {
		return fmt.Errorf("turn: the node has no IPv4 address (%v)", r.env.Addr)
	}
	return nil
}

func (r *relayAddrs) AllocatePacketConn(network string, port int) (net.PacketConn, net.Addr, error) {
	c, err := r.env.NS.ListenUDP("udp4", &net.UDPAddr{IP: r.env.Addr.AsSlice(), Port: port})
	if err != nil {
		return nil, nil, fmt.Errorf("turn relayed socket: %w", err)
	}
	return c, c.LocalAddr(), nil
}

func (r *relayAddrs) AllocateConn(string, int) (net.Conn, net.Addr, error) {
	return nil, nil, fmt.Errorf("turn: TCP allocations are not supported")
}
