// Package external is the NAT backend for a NAT nobody here wrote: a
// command given in the scenario (nat_options.command) sets up the gateway
// namespace — nft or iptables rules, a userspace NAT daemon, a vendor's
// router software — and boxlab then measures it like any other profile.
// The command runs inside the gateway's namespace (started from a thread in
// it), with the interface names and addresses in its environment, and the
// scenario speed (BOXLAB_SPEED), which a NAT with settable timers may divide
// them by; one that ignores it keeps real-time timers. With
// daemon: true it keeps running and is killed at teardown (it is PID 1 of its
// own PID namespace, so nothing it starts survives); otherwise it must exit 0.
// Reset (reboot) and WAN changes run the optional reset command; without one,
// the namespace's conntrack table is flushed.
package external

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Profiles is the external profile.
func Profiles() []nat.Profile {
	return []nat.Profile{{
		Name: "external", Doc: "a NAT set up by your command in the gateway namespace (nat_options.command)",
		Options: func() any { return &Options{Timeout: scenario.Duration(30 * time.Second)} },
		NewWith: func(o any) (nat.Gateway, error) {
			opts, ok := o.(*Options)
			if !ok || len(opts.Command) == 0 {
				return nil, errors.New(`NAT profile external needs nat_options.command, e.g. [sh, -c, "nft -f my-nat.nft"]`)
			}
			return &Gateway{Options: *opts}, nil
		},
	}}
}

// Options configure the external NAT.
type Options struct {
	Command []string          `yaml:"command"` // sets up the NAT; required
	Reset   []string          `yaml:"reset"`   // run on reboot and WAN change; default: flush conntrack
	Daemon  bool              `yaml:"daemon"`  // Command keeps running (a userspace NAT); killed at teardown
	Env     map[string]string `yaml:"env"`
	Timeout scenario.Duration `yaml:"timeout"` // for Command (not a daemon) and Reset to finish, real time; default 30s
}

// Check validates the options.
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	if len(o.Command) == 0 || o.Command[0] == "" {
		return []scenario.FieldError{{Field: "command", Msg: `want the program that sets up the NAT, e.g. [sh, -c, "nft -f my-nat.nft"]`}}
	}
	return nil
}

// Gateway is a running external NAT.
type Gateway struct {
	Options Options
	link    nat.Link
	wan     netip.Prefix
	daemon  *exec.Cmd
	done    chan error
}

// Start runs the command in the gateway namespace.
func (g *Gateway) Start(l nat.Link) error {
	g.link, g.wan = l, l.WANAddr
	cmd := g.command(g.Options.Command)
	if !g.Options.Daemon {
		return g.run(cmd, "command")
	}
	if err := l.NS.Start(cmd); err != nil {
		return fmt.Errorf("external NAT in %s: %w", l.Node, err)
	}
	g.daemon, g.done = cmd, make(chan error, 1)
	go func() { g.done <- cmd.Wait() }()
	l.Log.Info("nat.external_started", "node", l.Node, "pid", cmd.Process.Pid)
	return nil
}

// Reset runs the reset command, or flushes conntrack.
func (g *Gateway) Reset() error {
	if len(g.Options.Reset) > 0 {
		return g.run(g.command(g.Options.Reset), "reset")
	}
	h, err := g.link.NS.Netlink()
	if err != nil {
		return err
	}
	defer h.Close()
	return h.ConntrackTableFlush(netlink.ConntrackTable)
}

// WANChanged records the new address and resets.
func (g *Gateway) WANChanged(p netip.Prefix) error {
	g.wan = p
	return g.Reset()
}

// Close stops a daemon.
func (g *Gateway) Close() error {
	if g.daemon == nil {
		return nil
	}
	pid := g.daemon.Process.Pid
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(2 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-g.done
	}
	return nil
}

func (g *Gateway) command(argv []string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), g.environment()...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Cloneflags: syscall.CLONE_NEWPID}
	return cmd
}

func (g *Gateway) run(cmd *exec.Cmd, what string) error {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(g.Options.Timeout))
	defer cancel()
	if err := g.link.NS.Start(cmd); err != nil {
		return fmt.Errorf("external NAT %s in %s: %w", what, g.link.Node, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			return fmt.Errorf("external NAT %s in %s: %w: %s", what, g.link.Node, err, strings.TrimSpace(out.String()))
		}
		return nil
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-waited
		return fmt.Errorf("external NAT %s in %s: still running after %v", what, g.link.Node, time.Duration(g.Options.Timeout))
	}
}

func (g *Gateway) environment() []string {
	env := []string{
		"BOXLAB_NODE=" + g.link.Node,
		"BOXLAB_WAN=" + g.link.WAN,
		"BOXLAB_WAN_ADDR=" + g.wan.Addr().String(),
		"BOXLAB_WAN_PREFIX=" + g.wan.String(),
		"BOXLAB_ROUTER=" + g.link.Router.String(),
		"BOXLAB_SPEED=" + strconv.FormatFloat(g.link.Speed, 'g', -1, 64),
	}
	for i, lan := range g.link.LANs {
		sfx := ""
		if i > 0 {
			sfx = fmt.Sprint(i)
		}
		env = append(env, "BOXLAB_LAN"+sfx+"="+lan.Iface, "BOXLAB_LAN"+sfx+"_ADDR="+lan.Addr.Addr().String(),
			"BOXLAB_LAN"+sfx+"_PREFIX="+lan.Addr.Masked().String())
	}
	for k, v := range g.Options.Env {
		env = append(env, k+"="+v)
	}
	return env
}
