package relay

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/turn/v4"

	"github.com/boxlab/boxlab/sim/ns"
)

// Allocation is a relayed address held on a TURN server: Conn writes to
// peers through the relay (creating the permission on first use) and reads
// what peers sent to Relayed.
type Allocation struct {
	Conn    net.PacketConn
	Relayed netip.AddrPort
	client  *turn.Client
	sock    net.PacketConn
}

// AllocateConfig is what Allocate needs.
type AllocateConfig struct {
	NS       *ns.NS         // the namespace to open the client's socket in
	Server   netip.AddrPort // the TURN server
	Username string
	Password string
	RTO      time.Duration // first retransmission timeout; pion's default (200 ms) if 0
	Log      *slog.Logger  // pion's warnings and errors, as events called LogEvent
	LogEvent string
}

// Allocate opens a UDP socket in c.NS and allocates a relayed address on
// c.Server with long-term credentials (the realm is the one the server's
// 401 names). It blocks for the Allocate transaction (pion retransmits it
// when nothing answers) or until ctx ends.
func Allocate(ctx context.Context, c AllocateConfig) (*Allocation, error) {
	sock, err := c.NS.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return nil, fmt.Errorf("turn client socket: %w", err)
	}
	event := c.LogEvent
	if event == "" {
		event = "turn.client_log"
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: c.Server.String(), Username: c.Username, Password: c.Password,
		RTO: c.RTO, Conn: sock, LoggerFactory: loggerFactory{log: log, event: event}})
	if err != nil {
		sock.Close()
		return nil, fmt.Errorf("turn client: %w", err)
	}
	if err := cl.Listen(); err != nil {
		cl.Close()
		sock.Close()
		return nil, fmt.Errorf("turn client listen: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { cl.Close(); sock.Close() }) // ends the transaction in flight
	relayed, err := cl.Allocate()
	if !stop() {
		if err == nil {
			relayed.Close()
		}
		return nil, fmt.Errorf("turn allocate on %v: %w", c.Server, ctx.Err())
	}
	if err != nil {
		cl.Close()
		sock.Close()
		return nil, fmt.Errorf("turn allocate on %v: %w", c.Server, err)
	}
	ua, ok := relayed.LocalAddr().(*net.UDPAddr)
	if !ok {
		relayed.Close()
		cl.Close()
		sock.Close()
		return nil, fmt.Errorf("turn allocate: relayed address %v is not UDP", relayed.LocalAddr())
	}
	ap := ua.AddrPort()
	return &Allocation{Conn: relayed, Relayed: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), client: cl, sock: sock}, nil
}

// Permit creates permissions for the peers' addresses now, so the first
// write to them does not wait for the transaction.
func (a *Allocation) Permit(peers ...netip.AddrPort) error {
	addrs := make([]net.Addr, len(peers))
	for i, p := range peers {
		addrs[i] = net.UDPAddrFromAddrPort(p)
	}
	if err := a.client.CreatePermission(addrs...); err != nil {
		return fmt.Errorf("turn permission: %w", err)
	}
	return nil
}

// Close releases the allocation (a Refresh with lifetime 0) and closes the
// client's socket.
func (a *Allocation) Close() error {
	err := a.Conn.Close()
	a.client.Close()
	a.sock.Close()
	return err
}
