package conform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxlab/boxlab/sim/runner"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// Target is a NAT under test: a profile of the catalog and, optionally, its
// nat_options as a YAML flow mapping (e.g. `{command: [sh, -c, "nft -f x"]}`).
type Target struct {
	Profile string
	Options string
	Name    string // what reports call it; default Profile
}

// Label is the target's name in reports.
func (t Target) Label() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Profile
}

// Node names of the conformance topology.
const (
	NodeGW   = "home0-gw"
	NodeLAN1 = "home0-lan0"
	NodeLAN2 = "home0-lan1"
	NodeS1   = "s1"
	NodeS2   = "s2"
)

// Scenario is the scenario text of the conformance topology for t at speed.
func Scenario(t Target, speed float64) string {
	opts := ""
	if t.Options != "" {
		opts = ", nat_options: " + t.Options
	}
	return fmt.Sprintf(`name: nat-conform
speed: %g
duration: 1h
topology:
  servers:
    - {name: s1, role: udp-echo, addresses: 2}
    - {name: s2, role: udp-echo}
  homes:
    - {name: home, nat: %s%s, devices: [{name: lan, role: udp-echo, count: 2}]}
`, speed, t.Profile, opts)
}

// Harness is a built conformance topology and the sockets a check opened in
// it; Close releases both.
type Harness struct {
	Topo                  *topology.Topology
	Target                Target
	Speed                 float64 // simulated seconds per real second
	GW, LAN1, LAN2        *topology.Live
	S1, S2                *topology.Live
	Public                netip.Addr // the gateway's WAN address
	S1Addr, S1Alt, S2Addr netip.Addr // s1's two addresses and s2's

	mu      sync.Mutex
	closers []io.Closer
	srv     *servers
	seq     atomic.Uint64
}

// New builds the conformance topology for t at speed (simulated seconds per
// real second; NAT timers scale with it).
func New(ctx context.Context, cat *runner.Catalog, t Target, speed float64) (*Harness, error) {
	if speed <= 0 {
		speed = 1
	}
	s, err := scenario.Parse("nat-conform.yaml", []byte(Scenario(t, speed)), cat)
	if err != nil {
		return nil, err
	}
	plan, err := topology.NewPlan(s)
	if err != nil {
		return nil, err
	}
	topo, err := topology.Build(ctx, plan, topology.Options{Speed: speed, Profiles: cat.NAT})
	if err != nil {
		return nil, err
	}
	h := &Harness{Topo: topo, Target: t, Speed: speed,
		GW: topo.Node(NodeGW), LAN1: topo.Node(NodeLAN1), LAN2: topo.Node(NodeLAN2),
		S1: topo.Node(NodeS1), S2: topo.Node(NodeS2)}
	for _, n := range []*topology.Live{h.GW, h.LAN1, h.LAN2, h.S1, h.S2} {
		if n == nil {
			h.Close()
			return nil, errors.New("conformance topology: a node is missing")
		}
	}
	if len(h.S1.Extra) == 0 {
		h.Close()
		return nil, errors.New("conformance topology: s1 has no second address")
	}
	h.Public = topo.PublicAddr(NodeLAN1)
	h.S1Addr, h.S1Alt, h.S2Addr = h.S1.Addr().Addr(), h.S1.Extra[0].Addr(), h.S2.Addr().Addr()
	return h, nil
}

// Close closes every socket the checks opened and tears the topology down.
// TCP connections are aborted (RST, no FIN handshake): a graceful close
// whose FIN or last ACK is still in flight when the NAT stops leaves an
// orphan socket that retransmits for minutes and keeps its namespace, and
// with it the topology's links, alive.
func (h *Harness) Close() error {
	h.mu.Lock()
	cs := h.closers
	h.closers = nil
	h.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		if tc, ok := cs[i].(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		cs[i].Close()
	}
	_, err := h.Topo.Close()
	return err
}

// track closes c when the harness closes.
func (h *Harness) track(c io.Closer) {
	h.mu.Lock()
	h.closers = append(h.closers, c)
	h.mu.Unlock()
}

// Addr is a node's own (first) address.
func (h *Harness) Addr(n *topology.Live) netip.Addr { return n.Addr().Addr() }

// Real converts a simulated duration to real time at the harness speed.
func (h *Harness) Real(sim time.Duration) time.Duration {
	return time.Duration(float64(sim) / h.Speed)
}

// Wait sleeps for a simulated duration (or until ctx ends, reported as an error).
func (h *Harness) Wait(ctx context.Context, sim time.Duration) error {
	return sleep(ctx, h.Real(sim))
}

// WaitUntil sleeps until start plus a simulated duration.
func (h *Harness) WaitUntil(ctx context.Context, start time.Time, sim time.Duration) error {
	return sleep(ctx, time.Until(start.Add(h.Real(sim))))
}

// untilConclusive runs a timer check up to three times until it says its
// outcome is conclusive. At high speeds a starved CPU can send a probe
// whole simulated minutes late; an expired mapping found by a late probe
// proves nothing, so the check runs again rather than fail the NAT.
func untilConclusive(check func(try int) (Outcome, bool)) Outcome {
	var o Outcome
	for try := 0; try < 3; try++ {
		var conclusive bool
		if o, conclusive = check(try); conclusive {
			break
		}
	}
	return o
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Msg returns a message text unique within the harness.
func (h *Harness) Msg(tag string) string {
	return fmt.Sprintf("%s-%d", tag, h.seq.Add(1))
}

// UDP opens a UDP socket in n's namespace on addr:port (an invalid addr
// means any address, port 0 any port); it is closed with the harness.
func (h *Harness) UDP(n *topology.Live, addr netip.Addr, port int) (*net.UDPConn, error) {
	la := &net.UDPAddr{Port: port}
	if addr.IsValid() {
		la.IP = addr.AsSlice()
	}
	c, err := n.NS.ListenUDP("udp4", la)
	if err != nil {
		return nil, fmt.Errorf("%s: UDP socket on %v: %w", n.Name, la, err)
	}
	h.track(c)
	return c, nil
}

// Local is the local address of a UDP socket.
func Local(c *net.UDPConn) netip.AddrPort {
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Recv waits up to d (real time) for the datagram msg on c, skipping others,
// and returns its source.
func Recv(c *net.UDPConn, msg string, d time.Duration) (netip.AddrPort, bool) {
	buf := make([]byte, 65536)
	deadline := time.Now().Add(d)
	for {
		c.SetReadDeadline(deadline)
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return netip.AddrPort{}, false
			}
			if time.Now().After(deadline) {
				return netip.AddrPort{}, false
			}
			continue // an ICMP error reported on the socket: keep reading
		}
		if string(buf[:n]) == msg {
			return netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), true
		}
	}
}

// Exchange sends msg from c to dst every 100 ms until srv receives it or 3 s
// pass (ARP and routes may take a moment); it returns the source srv saw,
// the mapping.
func Exchange(c *net.UDPConn, dst netip.AddrPort, srv *net.UDPConn, msg string) (netip.AddrPort, bool) {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		c.WriteToUDPAddrPort([]byte(msg), dst)
		if from, ok := Recv(srv, msg, 100*time.Millisecond); ok {
			return from, true
		}
	}
	return netip.AddrPort{}, false
}

// Deliver sends msg from c to dst a few times and reports whether rcv got it
// within d (real time). Unlike Exchange it expects that the datagram may
// legitimately be dropped.
func Deliver(c *net.UDPConn, dst netip.AddrPort, rcv *net.UDPConn, msg string, d time.Duration) (netip.AddrPort, bool) {
	c.WriteToUDPAddrPort([]byte(msg), dst)
	step := d / 3
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if from, ok := Recv(rcv, msg, step); ok {
			return from, true
		}
		c.WriteToUDPAddrPort([]byte(msg), dst)
	}
	return netip.AddrPort{}, false
}

// Mapping opens a socket on lan (port 0 = any), sends to srv (listening at
// dst) and returns the socket and the mapping srv saw.
func (h *Harness) Mapping(lan *topology.Live, port int, srv *net.UDPConn, dst netip.AddrPort) (*net.UDPConn, netip.AddrPort, error) {
	c, err := h.UDP(lan, netip.Addr{}, port)
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	m, ok := Exchange(c, dst, srv, h.Msg("map"))
	if !ok {
		return nil, netip.AddrPort{}, fmt.Errorf("%s:%d to %v: nothing reached the server in 3 s", lan.Name, Local(c).Port(), dst)
	}
	return c, m, nil
}

// Servers opens UDP sockets on s1 (both addresses) and s2 at port.
func (h *Harness) Servers(port int) (s1, s1alt, s2 *net.UDPConn, err error) {
	if s1, err = h.UDP(h.S1, h.S1Addr, port); err != nil {
		return
	}
	if s1alt, err = h.UDP(h.S1, h.S1Alt, port); err != nil {
		return
	}
	s2, err = h.UDP(h.S2, h.S2Addr, port)
	return
}

// Listing joins observations for Observed.
func Listing(parts ...string) string { return strings.Join(parts, "; ") }

// External is the target for an external NAT set up by command, run by
// sh -c in the gateway namespace; it is named "external".
func External(command string) (Target, error) {
	if command == "" {
		return Target{}, errors.New("want a command that sets up the NAT")
	}
	opts, err := json.Marshal(map[string][]string{"command": {"sh", "-c", command}}) // JSON is a YAML flow mapping
	if err != nil {
		return Target{}, err
	}
	return Target{Profile: "external", Options: string(opts)}, nil
}
