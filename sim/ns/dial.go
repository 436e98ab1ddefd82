package ns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// DialContext dials from inside the namespace. For a numeric address
// ("10.0.0.1:80") over tcp or udp only the socket is made inside the
// namespace (a socket keeps the namespace it was born in); the connect then
// waits on Go's netpoller like any dial, so a thousand devices waiting for
// SYN-ACKs hold no OS thread each. Entering the namespace for the whole
// dial (what a plain net.Dialer under Do would do) parks a locked thread
// per pending connect: 2,000 devices dialling their gateways at once grew
// the process to over 1,300 threads.
func (n *NS) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(address)
	typ, ok := dialTypes[network]
	if err != nil || !ok {
		var c net.Conn
		err := n.Do(func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, network, address)
			return err
		})
		return c, err
	}
	c, err := n.dialAddr(ctx, typ, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(ap), Err: err}
	}
	return c, nil
}

var dialTypes = map[string]int{"tcp": unix.SOCK_STREAM, "tcp4": unix.SOCK_STREAM, "tcp6": unix.SOCK_STREAM,
	"udp": unix.SOCK_DGRAM, "udp4": unix.SOCK_DGRAM, "udp6": unix.SOCK_DGRAM}

func (n *NS) dialAddr(ctx context.Context, typ int, ap netip.AddrPort) (net.Conn, error) {
	family, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
	if ap.Addr().Is6() {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := n.Socket(family, typ|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	err = unix.Connect(fd, sa)
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return nil, fmt.Errorf("connect: %w", err)
	}
	f := os.NewFile(uintptr(fd), "dial:"+ap.String())
	defer f.Close() // FileConn holds its own descriptor
	if err != nil {
		if err := waitConnected(ctx, f); err != nil {
			return nil, err
		}
	}
	return net.FileConn(f)
}

// waitConnected waits, on the netpoller, until a non-blocking connect on f
// completes, fails or ctx ends; the checks are the ones net.Dial makes.
func waitConnected(ctx context.Context, f *os.File) error {
	if dl, ok := ctx.Deadline(); ok {
		f.SetWriteDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var connErr error
	werr := rc.Write(func(fd uintptr) bool {
		v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			connErr = err
			return true
		}
		switch e := unix.Errno(v); e {
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			return false
		case 0:
			if _, err := unix.Getpeername(int(fd)); err == nil {
				return true
			}
			return false
		default:
			connErr = fmt.Errorf("connect: %w", e)
			return true
		}
	})
	if werr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(werr, os.ErrDeadlineExceeded) {
			return context.DeadlineExceeded
		}
		return werr
	}
	return connErr
}
