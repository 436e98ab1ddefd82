package ns

import (
	"encoding/binary"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// holderEnv, set to holderMagic, makes a program that links this package
// serve as a namespace holder (see Holder) instead of running its main: the
// check runs in this package's init, so boxlab, boxlab-bench and test
// binaries can all be re-executed as their own holder.
const (
	holderEnv   = "BOXLAB_NS_HOLDER"
	holderMagic = "1f0c2b7e"
)

func init() {
	if os.Getenv(holderEnv) == holderMagic {
		os.Exit(serveHolder(3))
	}
}

// serveHolder holds the descriptors it is sent on ctl until told to close
// them, and returns at end of file (the parent is gone or done).
func serveHolder(ctl int) int {
	// The parent tears down on SIGINT/SIGTERM and then closes the control
	// socket; the helper must outlive that teardown.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	if os.Getppid() == 1 {
		return 0 // the parent died before the line above
	}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
		lim.Cur = lim.Max
		unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	}
	buf := make([]byte, 16)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(ctl, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return 0
		}
		switch {
		case buf[0] == reqPut:
			fd, errno := holderFd(oob[:oobn])
			ans := [5]byte{reqPut}
			binary.LittleEndian.PutUint32(ans[1:], uint32(fd))
			if errno != 0 {
				ans[0] = ansErr
				binary.LittleEndian.PutUint32(ans[1:], uint32(errno))
			}
			if _, err := unix.Write(ctl, ans[:]); err != nil {
				return 1
			}
		case buf[0] == reqClose && n == 5:
			fd := int(binary.LittleEndian.Uint32(buf[1:5]))
			if fd > 2 && fd != ctl {
				unix.Close(fd)
			}
		}
	}
}

// holderFd is the one descriptor an SCM_RIGHTS message carried.
func holderFd(oob []byte) (int, unix.Errno) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) != 1 {
		return -1, unix.EINVAL
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return -1, unix.EINVAL
	}
	return fds[0], 0
}
