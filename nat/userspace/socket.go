package userspace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/sim/ns"
)

// Packet socket tuning.
const (
	batchSize = 32      // frames per recvmmsg/sendmmsg
	frameSize = 2048    // receive buffer per frame: any MTU-sized Ethernet frame
	rcvBuf    = 1 << 20 // SO_RCVBUF per socket
	auxLen    = 16 + 20 // cmsghdr + tpacket_auxdata
	ethPAll   = 0x0003  // ETH_P_ALL
	solPacket = 263     // SOL_PACKET
	tpCsumNR  = 0x8     // TP_STATUS_CSUMNOTREADY
	tpVLAN    = 0x10    // TP_STATUS_VLAN_VALID
)

// sock is a non-blocking AF_PACKET socket bound to one interface; reads and
// writes park the goroutine on Go's netpoller, not an OS thread. Once the
// interface carries full batches it also gets a send-only socket outside the
// netpoller (see txSock).
type sock struct {
	f   *os.File
	rc  syscall.RawConn
	idx int
	mac [6]byte
	mtu int

	ns     *ns.NS
	ifname string
	tx     atomic.Pointer[txSock] // nil until the first full batch
	txOnce sync.Once
	closed atomic.Bool
}

// txSock is a send-only packet socket (protocol 0: it receives nothing) that
// is not registered with the netpoller. A socket in the netpoller's epoll set
// has a waiter on its wait queue, so the kernel runs a write-space wakeup
// (sock_def_write_space -> ep_poll_callback) for every frame it frees; for
// 64-byte frames through veth perf put that at ~10% of the gateway core.
// This socket has no waiter: sends use MSG_DONTWAIT, and when its buffer is
// full the batch falls back to the polled socket, which can wait.
type txSock struct {
	f  *os.File
	rc syscall.RawConn
}

// openSock opens a packet socket on ifname inside n. The socket is created
// with protocol 0 so it sees nothing until bind gives it ETH_P_ALL on this
// one interface: ETH_P_ALL taps run before the netdev ingress hook, a
// protocol-specific one (ETH_P_IP) after it.
func openSock(n *ns.NS, ifname string) (*sock, error) {
	s := &sock{ns: n, ifname: ifname}
	var fd int
	err := n.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		s.idx, s.mtu = ifi.Index, ifi.MTU
		copy(s.mac[:], ifi.HardwareAddr)
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("packet socket on %s: %w", ifname, err)
	}
	opts := []struct{ level, opt, v int }{
		{solPacket, unix.PACKET_AUXDATA, 1},
		{solPacket, unix.PACKET_IGNORE_OUTGOING, 1},
		{unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf},
	}
	for _, o := range opts {
		if err := unix.SetsockoptInt(fd, o.level, o.opt, o.v); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("packet socket on %s: setsockopt %d: %w", ifname, o.opt, err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(ethPAll), Ifindex: s.idx}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind packet socket to %s: %w", ifname, err)
	}
	s.f = os.NewFile(uintptr(fd), "packet:"+ifname)
	if s.rc, err = s.f.SyscallConn(); err != nil {
		s.f.Close()
		return nil, err
	}
	return s, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// rxBatch is a set of receive buffers for recvmmsg; one goroutine owns it.
type rxBatch struct {
	bufs [][]byte
	ctrl [][]byte
	iovs []unix.Iovec
	hdrs []unix.Mmsghdr
}

func newRxBatch() *rxBatch { return newRxBatchSize(batchSize, frameSize) }

func newRxBatchSize(batchSize, frameSize int) *rxBatch {
	rb := &rxBatch{
		bufs: make([][]byte, batchSize), ctrl: make([][]byte, batchSize),
		iovs: make([]unix.Iovec, batchSize), hdrs: make([]unix.Mmsghdr, batchSize),
	}
	mem := make([]byte, batchSize*frameSize)
	ctl := make([]byte, batchSize*64)
	for i := range rb.hdrs {
		rb.bufs[i] = mem[i*frameSize : (i+1)*frameSize : (i+1)*frameSize]
		rb.ctrl[i] = ctl[i*64 : (i+1)*64 : (i+1)*64]
		rb.iovs[i].Base = &rb.bufs[i][0]
		rb.iovs[i].SetLen(frameSize)
		rb.hdrs[i].Hdr.Iov = &rb.iovs[i]
		rb.hdrs[i].Hdr.SetIovlen(1)
		rb.hdrs[i].Hdr.Control = &rb.ctrl[i][0]
	}
	return rb
}

// rxFrame is one received frame and what the kernel said about it.
type rxFrame struct {
	b       []byte
	partial bool // TP_STATUS_CSUMNOTREADY: the L4 checksum is partial
	vlan    bool // the kernel stripped a VLAN tag
	trunc   bool // longer than the buffer
}

// rxPool lends standard receive batches to readers only while frames are
// there: an idle gateway holds no receive buffers, only a parked goroutine.
var rxPool = sync.Pool{New: func() any { return newRxBatch() }}

// recvPooled waits on the netpoller for frames and returns them in a batch
// borrowed from rxPool; give it back with rxPool.Put after use.
func (s *sock) recvPooled() (*rxBatch, int, error) {
	var rb *rxBatch
	var n int
	var serr error
	err := s.rc.Read(func(fd uintptr) bool {
		if rb == nil {
			rb = rxPool.Get().(*rxBatch)
		}
		r, e := rb.recvmmsg(fd)
		if e == unix.EAGAIN || e == unix.EINTR {
			rxPool.Put(rb)
			rb = nil
			return false
		}
		n, serr = r, e
		return true
	})
	if err == nil && serr != nil {
		err = serr
	}
	if err != nil && rb != nil {
		rxPool.Put(rb)
		rb = nil
	}
	return rb, n, err
}

func (rb *rxBatch) recvmmsg(fd uintptr) (int, error) {
	for i := range rb.hdrs {
		rb.hdrs[i].Hdr.SetControllen(len(rb.ctrl[i]))
		rb.hdrs[i].Hdr.Flags = 0
	}
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&rb.hdrs[0])), uintptr(len(rb.hdrs)), unix.MSG_TRUNC, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// recv fills rb with up to len(rb.hdrs) frames, waiting on the netpoller.
func (s *sock) recv(rb *rxBatch) (int, error) {
	var n int
	var serr error
	err := s.rc.Read(func(fd uintptr) bool {
		for i := range rb.hdrs {
			rb.hdrs[i].Hdr.SetControllen(len(rb.ctrl[i]))
			rb.hdrs[i].Hdr.Flags = 0
		}
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&rb.hdrs[0])), uintptr(len(rb.hdrs)),
			unix.MSG_TRUNC, 0, 0)
		if e == unix.EAGAIN || e == unix.EINTR {
			return false
		}
		if e != 0 {
			serr = e
		} else {
			n = int(r)
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	return n, serr
}

// frame returns the i-th frame of the last recv.
func (rb *rxBatch) frame(i int) rxFrame {
	h := &rb.hdrs[i]
	n := int(h.Len)
	size := len(rb.bufs[i])
	f := rxFrame{trunc: h.Hdr.Flags&unix.MSG_TRUNC != 0 || n > size}
	if f.trunc {
		n = min(n, size)
	}
	f.b = rb.bufs[i][:n]
	c := rb.ctrl[i][:h.Hdr.Controllen]
	if len(c) >= auxLen && binary.NativeEndian.Uint32(c[8:]) == solPacket && binary.NativeEndian.Uint32(c[12:]) == unix.PACKET_AUXDATA {
		st := binary.NativeEndian.Uint32(c[16:])
		f.partial = st&tpCsumNR != 0
		f.vlan = st&tpVLAN != 0
	}
	return f
}

// txBatch collects frames for one sendmmsg; one goroutine owns it.
type txBatch struct {
	s    *sock
	iovs []unix.Iovec
	hdrs []unix.Mmsghdr
	n    int
}

func newTxBatch(s *sock) *txBatch {
	return &txBatch{s: s, iovs: make([]unix.Iovec, batchSize), hdrs: make([]unix.Mmsghdr, batchSize)}
}

// add queues b (which must stay untouched until flush); a full batch is
// flushed first. It returns how many frames earlier flushes failed to send.
func (t *txBatch) add(b []byte) int {
	failed := 0
	if t.n == len(t.hdrs) {
		failed = t.flush()
	}
	t.iovs[t.n].Base = &b[0]
	t.iovs[t.n].SetLen(len(b))
	t.hdrs[t.n].Hdr.Iov = &t.iovs[t.n]
	t.hdrs[t.n].Hdr.SetIovlen(1)
	t.n++
	return failed
}

// flush sends the queued frames and returns how many could not be sent.
// Full batches go through the send-only socket while it has room.
func (t *txBatch) flush() int {
	failed, off := 0, 0
	var ts *txSock
	if t.n == len(t.hdrs) {
		ts = t.s.sender()
	}
	for off < t.n {
		var sent int
		var serr error
		var err error
		if ts != nil {
			var full bool
			err = ts.rc.Write(func(fd uintptr) bool {
				r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&t.hdrs[off])), uintptr(t.n-off), unix.MSG_DONTWAIT, 0, 0)
				switch {
				case e == unix.EAGAIN || e == unix.EINTR:
					full = true
				case e != 0:
					serr = e
				default:
					sent = int(r)
				}
				return true // not in the netpoller: never wait here
			})
			if full {
				ts = nil // buffer full: the polled socket waits for room
				continue
			}
		} else {
			err = t.s.rc.Write(func(fd uintptr) bool {
				r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&t.hdrs[off])), uintptr(t.n-off), 0, 0, 0)
				if e == unix.EAGAIN || e == unix.EINTR {
					return false
				}
				if e != 0 {
					serr = e
				}
				sent = int(r)
				return true
			})
		}
		if err != nil {
			failed += t.n - off
			break
		}
		if serr != nil || sent <= 0 {
			failed++ // the frame at off was refused; skip it
			sent = 1
		}
		off += sent
	}
	for i := 0; i < t.n; i++ {
		t.iovs[i].Base = nil
	}
	t.n = 0
	return failed
}

// send writes one frame now, outside any batch.
func (s *sock) send(b []byte) error {
	var serr error
	err := s.rc.Write(func(fd uintptr) bool {
		_, _, e := unix.Syscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		if e == unix.EAGAIN || e == unix.EINTR {
			return false
		}
		if e != 0 {
			serr = e
		}
		return true
	})
	return errors.Join(err, serr)
}

// sender returns the send-only socket, opening it on first use; nil when it
// cannot be had (the polled socket then sends everything).
func (s *sock) sender() *txSock {
	if ts := s.tx.Load(); ts != nil || s.ns == nil {
		return ts
	}
	s.txOnce.Do(func() {
		ts, err := openTxSock(s.ns, s.idx, s.ifname)
		if err != nil {
			return
		}
		s.tx.Store(ts)
		if s.closed.Load() { // lost a race with close
			ts.f.Close()
		}
	})
	return s.tx.Load()
}

// openTxSock opens a blocking (so Go does not poll it) send-only packet
// socket bound to interface idx inside n.
func openTxSock(n *ns.NS, idx int, ifname string) (*txSock, error) {
	fd, err := n.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("send socket on %s: %w", ifname, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: 0, Ifindex: idx}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind send socket to %s: %w", ifname, err)
	}
	ts := &txSock{f: os.NewFile(uintptr(fd), "packet-tx:"+ifname)}
	if ts.rc, err = ts.f.SyscallConn(); err != nil {
		ts.f.Close()
		return nil, err
	}
	return ts, nil
}

func (s *sock) close() error {
	s.closed.Store(true)
	if ts := s.tx.Load(); ts != nil {
		ts.f.Close()
	}
	return s.f.Close()
}
