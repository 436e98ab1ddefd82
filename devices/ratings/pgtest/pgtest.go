package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable that gives tests an existing
// PostgreSQL server instead of a throwaway one.
const EnvDSN = "BOXLAB_PG_DSN"

// Server is a running throwaway PostgreSQL server.
type Server struct {
	// DSN reaches database postgres as user postgres over the unix socket.
	DSN string
	// Dir holds the cluster (data/) and the socket; removed by Stop.
	Dir string

	cmd  *exec.Cmd
	done chan error
}

// Binaries finds initdb and postgres: on PATH, else the newest
// /usr/lib/postgresql/<version>/bin (where Debian installs them).
func Binaries() (initdb, postgres string, err error) {
	if i, err1 := exec.LookPath("initdb"); err1 == nil {
		if p, err2 := exec.LookPath("postgres"); err2 == nil {
			return i, p, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(a, b int) bool { return version(dirs[a]) > version(dirs[b]) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "postgres")
		if isExec(i) && isExec(p) {
			return i, p, nil
		}
	}
	return "", "", errors.New("no initdb/postgres found (on PATH or /usr/lib/postgresql/*/bin); install Debian's postgresql package")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

// Start creates a cluster in a new temporary folder and runs postgres on
// it until Stop. It needs root (to run the server as the postgres user,
// which PostgreSQL requires: it refuses to run as root).
func Start(ctx context.Context) (*Server, error) {
	initdb, postgres, err := Binaries()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("starting a throwaway PostgreSQL needs root (to run it as the postgres user)")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("no postgres user (the postgresql package creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "boxlab-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, done: make(chan error, 1)}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fail(err)
	}
	asPostgres := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)},
		Setpgid: true, Pdeathsig: syscall.SIGKILL}
	data := filepath.Join(dir, "data")
	init := exec.CommandContext(ctx, initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	init.SysProcAttr, init.Dir = asPostgres, dir
	if out, err := init.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w: %s", err, out))
	}
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return fail(err)
	}
	defer log.Close()
	os.Chown(log.Name(), uid, gid)
	s.cmd = exec.Command(postgres, "-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "fsync=off",
		"-c", "max_connections=100", "-c", "shared_buffers=16MB")
	s.cmd.SysProcAttr, s.cmd.Dir, s.cmd.Stdout, s.cmd.Stderr = asPostgres, dir, log, log
	// Pdeathsig fires when the thread that started the child ends, not the
	// process: start and wait for it from one locked thread that lives as
	// long as the server.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.done <- s.cmd.Wait()
	}()
	if err := <-started; err != nil {
		return fail(fmt.Errorf("postgres: %w", err))
	}
	s.DSN = fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable", dir)
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := Reach(ctx, s.DSN)
		if err == nil {
			return s, nil
		}
		select {
		case werr := <-s.done:
			out, _ := os.ReadFile(log.Name())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres exited: %v: %s", werr, out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Stop()
			return nil, fmt.Errorf("postgres did not answer on %s: %w", dir, err)
		}
	}
}

// Reach connects to dsn and pings it.
func Reach(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	return c.Ping(ctx)
}

// Stop shuts the server down (fast shutdown: SIGINT, then SIGKILL after
// 10 s) and removes its folder. Safe to call more than once.
func (s *Server) Stop() error {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
		s.cmd = nil
	}
	return os.RemoveAll(s.Dir)
}
