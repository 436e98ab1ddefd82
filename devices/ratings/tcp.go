package ratings

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// userTimeout bounds how long unacknowledged data keeps a TCP connection
// alive (TCP_USER_TIMEOUT, RFC 5482). A peer that vanished behind a
// renumbered NAT never acknowledges; without it a closed connection lingers
// in the kernel for minutes, retransmitting, and keeps its namespace (and
// the run's teardown) waiting.
const userTimeout = 3 * time.Second

// BoundRetransmits sets TCP_USER_TIMEOUT on c if it is a TCP connection.
func BoundRetransmits(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(userTimeout.Milliseconds()))
	})
}

// boundedListener applies BoundRetransmits to every accepted connection.
type boundedListener struct{ net.Listener }

func (l boundedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		BoundRetransmits(c)
	}
	return c, err
}
