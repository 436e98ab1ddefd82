package ns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// NamedDir is where named namespaces are bind-mounted, as iproute2 expects.
const NamedDir = "/run/netns"

// NS is a network namespace held open by a file descriptor: in this process,
// or in a Holder's helper when made by Holder.Create.
type NS struct {
	fd   int
	name string // base name under NamedDir, "" when unnamed

	held *holderProc // the helper holding it, nil when fd is ours
	id   int         // its descriptor number in held
	pin  sync.Mutex  // guards fd of a held namespace (see Fd)
}

// Create makes a new network namespace. When name is not empty it is also
// bind-mounted at NamedDir/name. setup, if not nil, runs inside the new
// namespace on the creating thread before Create returns (write sysctls there:
// /proc/sys/net follows the calling thread).
func Create(name string, setup func() error) (*NS, error) {
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("open current netns: %w", err)
	}
	defer unix.Close(orig)
	n, err := createHere(name, setup)
	if errBack := unix.Setns(orig, unix.CLONE_NEWNET); errBack != nil {
		// The thread is stuck in a foreign namespace: keep it locked so the
		// runtime retires it when this goroutine ends.
		if n != nil {
			n.Close()
		}
		return nil, fmt.Errorf("return to original netns: %w", errBack)
	}
	runtime.UnlockOSThread()
	return n, err
}

func createHere(name string, setup func() error) (*NS, error) {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("unshare netns: %w", err)
	}
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open new netns: %w", err)
	}
	n := &NS{fd: fd, id: -1}
	if name != "" {
		if err := bindName(name); err != nil {
			n.Close()
			return nil, err
		}
		n.name = name
	}
	if setup != nil {
		if err := setup(); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

func bindName(name string) error {
	if strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return fmt.Errorf("bad namespace name %q", name)
	}
	if err := os.MkdirAll(NamedDir, 0o755); err != nil {
		return fmt.Errorf("make %s: %w", NamedDir, err)
	}
	p := filepath.Join(NamedDir, name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return fmt.Errorf("name namespace: %w", err)
	}
	f.Close()
	if err := unix.Mount("/proc/thread-self/ns/net", p, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(p)
		return fmt.Errorf("bind-mount namespace at %s: %w", p, err)
	}
	return nil
}

// Open returns the namespace at path (e.g. /run/netns/NAME or /proc/PID/ns/net).
// The result is not named: closing it never unmounts anything.
func Open(path string) (*NS, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open netns %s: %w", path, err)
	}
	return &NS{fd: fd, id: -1}, nil
}

// Fd is the namespace's file descriptor, for netlink.NsFd and
// nftables.WithNetNSFd; it stays valid until Close. A namespace held by a
// Holder gets a descriptor in this process at its first Fd call and keeps
// it until Close (Do, the sockets and Netlink need none).
func (n *NS) Fd() int {
	if n.held == nil {
		return n.fd
	}
	n.pin.Lock()
	defer n.pin.Unlock()
	if n.fd < 0 {
		fd, err := n.held.get(n.id)
		if err != nil {
			return -1 // a holder that died: every use of -1 fails with EBADF
		}
		n.fd = fd
	}
	return n.fd
}

// lease returns a descriptor of the namespace valid until release is called.
func (n *NS) lease() (fd int, release func(), err error) {
	if n.held == nil {
		return n.fd, func() {}, nil
	}
	fd, err = n.held.get(n.id)
	if err != nil {
		return -1, nil, err
	}
	return fd, func() { unix.Close(fd) }, nil
}

// Name is the namespace's name under NamedDir, or "" when unnamed.
func (n *NS) Name() string { return n.name }

// Close releases the descriptor and, if named, the name. The kernel destroys
// the namespace once nothing else (a socket, a process) holds it.
func (n *NS) Close() error {
	var errs []error
	if n.name != "" {
		errs = append(errs, Unname(n.name))
		n.name = ""
	}
	if n.fd >= 0 {
		errs = append(errs, unix.Close(n.fd))
		n.fd = -1
	}
	if n.held != nil {
		errs = append(errs, n.held.drop(n.id))
		n.held = nil
	}
	return errors.Join(errs...)
}

// Keep forgets the name without removing it, so the namespace outlives the
// process (for --keep); Reap removes it later.
func (n *NS) Keep() { n.name = "" }

// Unname removes the bind mount NamedDir/name.
func Unname(name string) error {
	p := filepath.Join(NamedDir, name)
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount %s: %w", p, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Do runs fn on an OS thread that is inside the namespace. Sockets created by
// fn stay in the namespace after Do returns.
func (n *NS) Do(fn func() error) error {
	fd, release, err := n.lease()
	if err != nil {
		return fmt.Errorf("enter netns: %w", err)
	}
	defer release()
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open current netns: %w", err)
	}
	defer unix.Close(orig)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter netns: %w", err)
	}
	fnErr := fn()
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("return to original netns: %w", err) // thread stays locked and dies with the goroutine
	}
	runtime.UnlockOSThread()
	return fnErr
}

// ListenPacket is net.ListenPacket inside the namespace.
func (n *NS) ListenPacket(network, address string) (c net.PacketConn, err error) {
	err = n.Do(func() error {
		c, err = net.ListenPacket(network, address)
		return err
	})
	return c, err
}

// ListenUDP is net.ListenUDP inside the namespace.
func (n *NS) ListenUDP(network string, laddr *net.UDPAddr) (c *net.UDPConn, err error) {
	err = n.Do(func() error {
		c, err = net.ListenUDP(network, laddr)
		return err
	})
	return c, err
}

// Listen is net.Listen inside the namespace.
func (n *NS) Listen(network, address string) (l net.Listener, err error) {
	err = n.Do(func() error {
		l, err = net.Listen(network, address)
		return err
	})
	return l, err
}

// Socket opens a raw socket (e.g. AF_PACKET) inside the namespace.
func (n *NS) Socket(domain, typ, proto int) (fd int, err error) {
	err = n.Do(func() error {
		fd, err = unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
		return err
	})
	return fd, err
}

// Netlink returns a netlink handle bound to the namespace; close it after use.
func (n *NS) Netlink() (*netlink.Handle, error) {
	fd, release, err := n.lease()
	if err != nil {
		return nil, fmt.Errorf("netlink handle: %w", err)
	}
	defer release() // the handle's sockets keep their namespace
	h, err := netlink.NewHandleAt(nsHandle(fd))
	if err != nil {
		return nil, fmt.Errorf("netlink handle: %w", err)
	}
	return h, nil
}

// Sysctl is one /proc/sys setting; Key uses slashes and starts with "net/",
// e.g. "net/ipv4/ip_forward".
type Sysctl struct{ Key, Value string }

// WriteSysctl writes value to /proc/sys/<key> inside the namespace.
func (n *NS) WriteSysctl(key, value string) error {
	return n.WriteSysctls(Sysctl{key, value})
}

// WriteSysctls writes several settings inside the namespace in one visit.
func (n *NS) WriteSysctls(s ...Sysctl) error {
	return n.Do(func() error { return WriteSysctlsHere(s...) })
}

// ReadSysctl reads /proc/sys/<key> inside the namespace.
func (n *NS) ReadSysctl(key string) (v string, err error) {
	err = n.Do(func() error {
		b, err := os.ReadFile(filepath.Join("/proc/sys", key))
		v = strings.TrimSpace(string(b))
		return err
	})
	return v, err
}

// WriteSysctlHere writes /proc/sys/<key> in the calling thread's namespace;
// for setup functions already running inside one.
func WriteSysctlHere(key, value string) error {
	return WriteSysctlsHere(Sysctl{key, value})
}

// WriteSysctlsHere writes settings in the calling thread's namespace through
// /proc/sys. For many namespaces in a row use a ProcFS.
func WriteSysctlsHere(s ...Sysctl) error { return writeSysctls("/proc/sys", s) }

func writeSysctls(root string, s []Sysctl) error {
	for _, kv := range s {
		fd, err := unix.Open(filepath.Join(root, kv.Key), unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("sysctl %s: %w", kv.Key, err)
		}
		_, err = unix.Write(fd, []byte(kv.Value))
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("sysctl %s=%s: %w", kv.Key, kv.Value, err)
		}
	}
	return nil
}

// Start starts cmd inside the namespace: the child is forked from a thread
// that has entered it, so it inherits the namespace.
func (n *NS) Start(cmd *exec.Cmd) error {
	return n.Do(cmd.Start)
}
