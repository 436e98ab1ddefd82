// Package exec is the role that places a real program in a node's namespace:
// a vendor's STB agent, a real IGD daemon, a real server. The program is
// started from a thread inside the node's namespace (so it inherits it), its
// stdout and stderr go to <node>.stdout/.stderr in the run's output folder,
// and it is killed, with everything it started, when the device stops,
// crashes or the boxlab process dies: it runs as PID 1 of its own PID
// namespace, killed by Pdeathsig. The environment tells it where it is:
// BOXLAB_NODE, BOXLAB_ADDR, BOXLAB_PUBLIC, BOXLAB_SERVER_<NAME> for every
// server, and BOXLAB_SPEED, the run's clock speed (simulated seconds per real
// second), by which a program with settable timers may divide them (`boxlab
// device` does: its role's timers run on a clock of that speed).
package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Roles is the exec role.
func Roles() []devices.Role {
	return []devices.Role{{
		Name: "exec", Doc: "runs a real program inside the node's namespace",
		Options: func() any { return &Options{StopGrace: scenario.Duration(2 * time.Second)} },
		New:     func(o any) (devices.Device, error) { return &Program{Options: *o.(*Options)}, nil },
	}}
}

// Options configure an exec device.
type Options struct {
	// Command is required: program and arguments. A relative program path
	// with a slash (bin/boxlab) is taken from boxlab's working directory,
	// as a shell started there would, not from Dir.
	Command   []string          `yaml:"command"`
	Env       map[string]string `yaml:"env"`        // extra environment
	Dir       string            `yaml:"dir"`        // working directory; default the run's output folder
	StopGrace scenario.Duration `yaml:"stop_grace"` // SIGTERM to SIGKILL, real time; default 2s
}

// Check validates the options.
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	if len(o.Command) == 0 || o.Command[0] == "" {
		return []scenario.FieldError{{Field: "command", Msg: "want a program and its arguments, e.g. [/usr/bin/my-agent, --flag]"}}
	}
	return nil
}

// Program is a running exec device.
type Program struct {
	Options Options
}

// Run starts the program and waits for it; when ctx ends it is stopped.
func (p *Program) Run(ctx context.Context, env *devices.Env) error {
	prog := p.Options.Command[0]
	if strings.ContainsRune(prog, '/') && !filepath.IsAbs(prog) {
		abs, err := filepath.Abs(prog)
		if err != nil {
			return fmt.Errorf("exec %s: %w", prog, err)
		}
		prog = abs
	}
	cmd := osexec.Command(prog, p.Options.Command[1:]...)
	cmd.Dir = p.Options.Dir
	if cmd.Dir == "" {
		cmd.Dir = env.OutDir
	}
	cmd.Env = append(os.Environ(), environment(env, p.Options.Env)...)
	// Its own PID namespace: the program is its PID 1, so when it dies (or
	// boxlab does: Pdeathsig) the kernel kills every descendant, even one
	// that daemonised with setsid.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Cloneflags: syscall.CLONE_NEWPID}
	stdout, err := os.OpenFile(filepath.Join(env.OutDir, env.Node+".stdout"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	defer stdout.Close()
	stderr, err := os.OpenFile(filepath.Join(env.OutDir, env.Node+".stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := env.NS.Start(cmd); err != nil {
		env.Log.Info("exec.fail", "err", err.Error())
		return fmt.Errorf("exec %s: %w", p.Options.Command[0], err)
	}
	env.Log.Info("exec.start", "pid", cmd.Process.Pid, "command", strings.Join(p.Options.Command, " "))
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		return exited(env, cmd, err)
	case <-ctx.Done():
	}
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-waited:
		exited(env, cmd, err)
	case <-time.After(time.Duration(p.Options.StopGrace)):
		syscall.Kill(-pgid, syscall.SIGKILL)
		exited(env, cmd, <-waited)
	}
	return nil
}

// exited logs exec.exit: the exit code and what the program (with every
// descendant it waited for) used over its life, from wait4(2): cpu (user +
// system, a duration) and max_rss (bytes, its largest process's peak), so a
// load run can report a server it runs out of process.
func exited(env *devices.Env, cmd *osexec.Cmd, err error) error {
	code := 0
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return fmt.Errorf("exec wait: %w", err)
	}
	attrs := []any{"code", code}
	if ps := cmd.ProcessState; ps != nil {
		attrs = append(attrs, "cpu", ps.UserTime()+ps.SystemTime())
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			attrs = append(attrs, "max_rss", float64(ru.Maxrss)*1024) // Linux: KiB
		}
	}
	env.Log.Info("exec.exit", attrs...)
	if code != 0 {
		return fmt.Errorf("program exited with code %d", code)
	}
	return nil
}

func environment(env *devices.Env, extra map[string]string) []string {
	out := []string{"BOXLAB_NODE=" + env.Node, "BOXLAB_ADDR=" + env.Addr.String()}
	if env.Clock != nil {
		out = append(out, "BOXLAB_SPEED="+strconv.FormatFloat(env.Clock.Speed(), 'g', -1, 64))
	}
	if env.Public != nil {
		out = append(out, "BOXLAB_PUBLIC="+env.Public().String())
	}
	names := make([]string, 0, len(env.Servers))
	for n := range env.Servers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		key := "BOXLAB_SERVER_" + strings.ToUpper(strings.ReplaceAll(n, "-", "_"))
		out = append(out, key+"="+env.Servers[n].String())
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+extra[k])
	}
	return out
}
