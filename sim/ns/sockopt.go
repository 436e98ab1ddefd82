package ns

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// ForceReadBuffer sets a socket's receive buffer to n bytes with
// SO_RCVBUFFORCE, which root may set above net.core.rmem_max: a server that
// thousands of simulated devices share overflows the default 208 KiB in any
// scheduling hiccup.
func ForceReadBuffer(c any, n int) error { return forceBuffer(c, unix.SO_RCVBUFFORCE, n) }

// ForceWriteBuffer sets a socket's send buffer to n bytes with
// SO_SNDBUFFORCE (above net.core.wmem_max). A datagram stays charged to the
// socket that sent it until the receiving socket takes it: across veth
// pairs and a gateway's forwarding that includes every per-CPU backlog it
// waits in, so a server answering thousands of devices can fill the
// default 208 KiB when the kernel defers its softirq work, and then waits
// in its send instead of reading.
func ForceWriteBuffer(c any, n int) error { return forceBuffer(c, unix.SO_SNDBUFFORCE, n) }

func forceBuffer(c any, opt, n int) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return fmt.Errorf("%T has no raw socket", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, n)
	}); err != nil {
		return err
	}
	return serr
}
