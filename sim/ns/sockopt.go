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
func ForceReadBuffer(c any, n int) error {
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
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n)
	}); err != nil {
		return err
	}
	return serr
}
