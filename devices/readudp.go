package devices

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
)

// ReadUDP reads one datagram for a device's receive loop. ok is false when
// the loop should end: the socket was closed, ctx ended, or the read failed
// (logged as event with the error). The source comes back unmapped, so an
// IPv4 peer compares equal to a netip.Addr of the same IPv4 address.
func ReadUDP(ctx context.Context, c *net.UDPConn, buf []byte, log *slog.Logger, event string) (n int, from netip.AddrPort, ok bool) {
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
			log.Info(event, "err", err.Error())
		}
		return 0, netip.AddrPort{}, false
	}
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), true
}
