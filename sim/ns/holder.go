package ns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Holder keeps namespaces open in helper processes instead of this one, for
// runs with more namespaces than RLIMIT_NOFILE lets one process hold next to
// its sockets (a hard limit of 20,000 that a container cannot raise; 10,000
// boxes need 12,500 namespaces and about as many sockets).
//
// Each helper is this program re-executed (/proc/self/exe, see
// holderEnv): it receives a namespace's descriptor over a unix socket
// (SCM_RIGHTS), answers the number it holds it under, and closes it when
// told. To enter a namespace this process copies that descriptor back with
// pidfd_getfd(2) — one system call of about a microsecond, the helper is not
// involved — and closes the copy afterwards. A helper dies with this
// process: it exits when its control socket reaches end of file (the kernel
// closes it when this process dies, even on SIGKILL) and has
// PR_SET_PDEATHSIG SIGKILL besides; its descriptors, and with them the
// namespaces, are then freed by the kernel. It ignores the terminal's
// SIGINT/SIGTERM, so a Ctrl-C lets this process tear down first.
type Holder struct {
	mu    sync.Mutex
	procs []*holderProc
}

// holderProc is one helper process.
type holderProc struct {
	mu    sync.Mutex // one request and its answer at a time
	ctl   int        // our end of the SOCK_SEQPACKET control socket
	pidfd int
	limit int // descriptors the helper may hold
	held  int
	done  chan struct{} // closed when the helper has exited
}

// holderReserve is how many descriptors below its RLIMIT_NOFILE a helper
// keeps free (stdio, its control socket, the Go runtime's own).
const holderReserve = 32

// NewHolder starts a first helper and checks that descriptors go there and
// come back (pidfd_getfd needs Linux 5.6 and ptrace rights over the helper,
// which a parent running as root has). On error nothing is left running.
func NewHolder() (*Holder, error) {
	h := &Holder{}
	p, err := startHolderProc()
	if err != nil {
		return nil, err
	}
	h.procs = append(h.procs, p)
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("namespace holder check: %w", err)
	}
	defer unix.Close(self)
	id, err := p.put(self)
	if err == nil {
		var fd int
		if fd, err = p.get(id); err == nil {
			var a, b unix.Stat_t
			unix.Fstat(self, &a)
			unix.Fstat(fd, &b)
			unix.Close(fd)
			if a.Ino != b.Ino || a.Dev != b.Dev {
				err = errors.New("the descriptor that came back is another file")
			}
		}
		p.drop(id)
	}
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("namespace holder check: %w", err)
	}
	return h, nil
}

// Create is the package's Create with the namespace held by the holder: this
// process keeps no descriptor of it once Create returns.
func (h *Holder) Create(name string, setup func() error) (*NS, error) {
	n, err := Create(name, setup)
	if err != nil {
		return nil, err
	}
	if err := h.adopt(n); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// adopt moves n's descriptor into a helper.
func (h *Holder) adopt(n *NS) error {
	p, err := h.proc()
	if err != nil {
		return err
	}
	id, err := p.put(n.fd)
	if err != nil {
		return err
	}
	unix.Close(n.fd)
	n.fd, n.held, n.id = -1, p, id
	return nil
}

// proc returns a helper with room, starting one when all are full.
func (h *Holder) proc() (*holderProc, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.procs {
		p.mu.Lock()
		room := p.held < p.limit && p.ctl >= 0
		p.mu.Unlock()
		if room {
			return p, nil
		}
	}
	p, err := startHolderProc()
	if err != nil {
		return nil, err
	}
	h.procs = append(h.procs, p)
	return p, nil
}

// Held is how many namespace descriptors the helpers hold.
func (h *Holder) Held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, p := range h.procs {
		p.mu.Lock()
		n += p.held
		p.mu.Unlock()
	}
	return n
}

// Processes is how many helper processes run.
func (h *Holder) Processes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.procs)
}

// Close ends the helpers and waits for them to exit. Namespaces they still
// held are freed unless something else (a name, a socket, a process) holds
// them; an NS of this holder must not be used afterwards.
func (h *Holder) Close() error {
	h.mu.Lock()
	procs := h.procs
	h.procs = nil
	h.mu.Unlock()
	for _, p := range procs {
		p.mu.Lock()
		if p.ctl >= 0 {
			unix.Close(p.ctl) // end of file: the helper exits
			p.ctl = -1
		}
		p.mu.Unlock()
		<-p.done
		unix.Close(p.pidfd)
	}
	return nil
}

func startHolderProc() (*holderProc, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("namespace holder socket: %w", err)
	}
	child := os.NewFile(uintptr(fds[1]), "ns-holder-ctl")
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		child.Close()
		unix.Close(fds[0])
		return nil, fmt.Errorf("get RLIMIT_NOFILE: %w", err)
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"boxlab-ns-holder"}
	cmd.Env = []string{holderEnv + "=" + holderMagic}
	cmd.ExtraFiles = []*os.File{child} // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	p := &holderProc{ctl: fds[0], pidfd: -1, limit: int(lim.Max) - holderReserve, done: make(chan struct{})}
	started := make(chan error, 1)
	// PR_SET_PDEATHSIG fires when the thread that forked the child exits,
	// not the process: fork from a thread locked for the helper's whole
	// life, so the runtime never retires it under the helper.
	go func() {
		runtime.LockOSThread()
		defer close(p.done)
		err := cmd.Start()
		started <- err
		if err == nil {
			cmd.Wait()
		}
	}()
	err = <-started
	child.Close()
	if err != nil {
		unix.Close(fds[0])
		return nil, fmt.Errorf("start namespace holder: %w", err)
	}
	if p.pidfd, err = unix.PidfdOpen(cmd.Process.Pid, 0); err != nil {
		unix.Close(fds[0])
		<-p.done
		return nil, fmt.Errorf("pidfd of namespace holder: %w", err)
	}
	return p, nil
}

// Requests of the control protocol: one byte, then for 'C' the helper's
// descriptor number (uint32, little endian). 'P' carries the descriptor in
// SCM_RIGHTS and is answered with the number ('P' + uint32) or an errno
// ('E' + uint32).
const (
	reqPut   = 'P'
	reqClose = 'C'
	ansErr   = 'E'
)

// put hands fd to the helper and returns the number it holds it under.
func (p *holderProc) put(fd int) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctl < 0 {
		return 0, errors.New("namespace holder closed")
	}
	if err := unix.Sendmsg(p.ctl, []byte{reqPut}, unix.UnixRights(fd), nil, 0); err != nil {
		return 0, fmt.Errorf("send to namespace holder: %w", err)
	}
	var b [5]byte
	n, _, _, _, err := unix.Recvmsg(p.ctl, b[:], nil, 0)
	if err != nil || n != len(b) {
		return 0, fmt.Errorf("namespace holder answer (%d bytes): %v", n, err)
	}
	v := binary.LittleEndian.Uint32(b[1:])
	if b[0] == ansErr {
		return 0, fmt.Errorf("namespace holder: %w", unix.Errno(v))
	}
	p.held++
	return int(v), nil
}

// get copies the helper's descriptor id into this process.
func (p *holderProc) get(id int) (int, error) {
	fd, err := unix.PidfdGetfd(p.pidfd, id, 0)
	if err != nil {
		return -1, fmt.Errorf("namespace from holder (pidfd_getfd %d): %w", id, err)
	}
	return fd, nil // pidfd_getfd sets FD_CLOEXEC
}

// drop tells the helper to close descriptor id.
func (p *holderProc) drop(id int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctl < 0 {
		return nil // the helper is gone and its descriptors with it
	}
	var b [5]byte
	b[0] = reqClose
	binary.LittleEndian.PutUint32(b[1:], uint32(id))
	if _, err := unix.Write(p.ctl, b[:]); err != nil {
		return fmt.Errorf("namespace holder close: %w", err)
	}
	p.held--
	return nil
}
