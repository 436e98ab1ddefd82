package platform

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/boxlab/boxlab/devices"
)

// tcpSide completes TCP handshakes the platform did not start (seed 002 S7
// variant): the trigger forges a SYN from platform:P to the camera, the
// camera's SYN-ACK reaches platform:P, and the platform answers from user
// space through a raw IPv4 socket (IP_HDRINCL) with the ACK — sequence
// numbers taken from the SYN-ACK itself, so nothing has to be agreed with the
// trigger — then an RTSP OPTIONS request, and ACKs the camera's answer.
//
// No kernel socket owns platform:P, so the platform's kernel would answer
// the SYN-ACK and every later segment with a RST that kills the camera's
// half-open connection before (or after) the user-space ACK arrives. One
// nftables rule in the platform's own namespace (table boxlab_platform,
// output hook) drops outgoing RSTs from the SYN-trigger port range. This was
// chosen over TCP_REPAIR because it needs no sequence-number agreement and
// no socket surgery, and over racing the RST because the kernel's RST is
// sent in softirq context before user space even reads the SYN-ACK.
type tcpSide struct {
	ctx  context.Context
	env  *devices.Env
	wg   sync.WaitGroup // retransmitters
	fd   int
	base uint16
	// keepalive and lostAfter are the platform's options, for sessions
	// that keep a connection (a BXSDK login).
	keepalive time.Duration
	lostAfter int

	mu       sync.Mutex
	next     int
	attempts map[uint16]*tcpAttempt
}

type tcpAttempt struct {
	r        *resource
	seq, ack uint32 // our first data sequence number and the camera's next one
	dlg      dialogue
	request  []byte
	got      bool // the camera sent payload: it has our request
	sent     bool
	done     bool
	reported bool

	// After the request, a kept session sends more: out holds what the
	// camera has not acknowledged yet, from sequence number una on; nxt
	// follows it. dst and dport are the camera's public address.
	una, nxt uint32
	out      []byte
	dst      []byte
	dport    layers.TCPPort
	lastSeen time.Time
	keeping  bool
}

// nftTable is the platform's RST-suppressing table.
const nftTable = "boxlab_platform"

func newTCPSide(ctx context.Context, env *devices.Env, base uint16, keepalive time.Duration, lostAfter int) (*tcpSide, error) {
	if err := dropKernelRSTs(env, base); err != nil {
		return nil, err
	}
	fd, err := env.NS.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP)
	if err != nil {
		return nil, fmt.Errorf("raw tcp socket: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_HDRINCL, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("IP_HDRINCL: %w", err)
	}
	tv := unix.NsecToTimeval(int64(200 * time.Millisecond))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &tcpSide{ctx: ctx, env: env, fd: fd, base: base, keepalive: keepalive, lostAfter: lostAfter, attempts: map[uint16]*tcpAttempt{}}, nil
}

// Close closes the raw socket once the retransmitters, which stop with ctx,
// are done with it.
func (t *tcpSide) Close() error {
	t.wg.Wait()
	return unix.Close(t.fd)
}

// expect allocates the platform port of a new SYN attempt for r.
func (t *tcpSide) expect(r *resource, dlg dialogue) uint16 {
	t.mu.Lock()
	defer t.mu.Unlock()
	port := t.base + uint16(t.next%tcpPorts)
	t.next++
	t.attempts[port] = &tcpAttempt{r: r, dlg: dlg, request: dlg.request()}
	return port
}

func (t *tcpSide) serve(ctx context.Context) {
	buf := make([]byte, 65536)
	for ctx.Err() == nil {
		n, _, err := unix.Recvfrom(t.fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			if ctx.Err() == nil {
				t.env.Log.Info("platform.recv_error", "err", err.Error())
			}
			return
		}
		t.segment(buf[:n])
	}
}

// segment handles one TCP segment that reached the platform.
func (t *tcpSide) segment(b []byte) {
	p := gopacket.NewPacket(b, layers.LayerTypeIPv4, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if ip == nil || tcp == nil {
		return
	}
	port := uint16(tcp.DstPort)
	if port < t.base || port >= t.base+tcpPorts {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.attempts[port]
	if a == nil || a.done {
		return
	}
	src := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip.SrcIP.To4())), uint16(tcp.SrcPort))
	// The packet was decoded without copying: ip.SrcIP points into the
	// receive buffer, which the next packet overwrites. Goroutines and the
	// attempt keep their own copy.
	dst := append([]byte(nil), ip.SrcIP.To4()...)
	if src.Addr() != a.r.trigger.Addr() {
		// Leaked un-NATed (a Linux NAT has no conntrack entry for a
		// SYN-ACK-first flow) or from somewhere else: not this home.
		if !a.reported {
			a.reported = true
			t.env.Log.Info("platform.tcp_untranslated", "from", src.String(), "camera", a.r.cam.Addr.String())
			t.env.Log.Info("platform.tcp_untranslated_" + group(a.r.node))
		}
		return
	}
	switch {
	case tcp.SYN && tcp.ACK:
		a.ack = tcp.Seq + 1
		if !a.sent {
			a.seq = tcp.Ack
			a.una, a.nxt, a.out = a.seq, a.seq+uint32(len(a.request)), a.request
			a.dst, a.dport = dst, tcp.SrcPort
			a.r.mu.Lock()
			a.r.public = src
			a.r.mu.Unlock()
		}
		first := !a.sent
		a.sent = true
		t.send(ip.SrcIP, tcp.SrcPort, tcp.DstPort, a.seq, a.ack, false, nil)
		t.send(ip.SrcIP, tcp.SrcPort, tcp.DstPort, a.seq, a.ack, true, a.request)
		if first {
			t.wg.Go(func() { t.retransmit(a, port, dst, tcp.SrcPort) })
		}
	case a.sent && tcp.ACK && len(tcp.Payload) == 0:
		a.acked(tcp.Ack)
	case a.sent && len(tcp.Payload) > 0:
		if tcp.ACK {
			a.acked(tcp.Ack)
		}
		if tcp.Seq != a.ack { // out of order or a retransmission: ACK what we have
			t.send(ip.SrcIP, tcp.SrcPort, tcp.DstPort, a.nxt, a.ack, false, nil)
			return
		}
		a.ack += uint32(len(tcp.Payload))
		a.got = true
		a.lastSeen = time.Now()
		t.send(ip.SrcIP, tcp.SrcPort, tcp.DstPort, a.nxt, a.ack, false, nil)
		events, connected, done := a.dlg.feed(tcp.Payload)
		a.done = done
		if k, ok := a.dlg.(keeper); ok && !done && connected && !a.keeping && t.keepalive > 0 {
			a.keeping = true
			t.wg.Go(func() { t.keep(a, port, k) })
		}
		for _, e := range events {
			t.env.Log.Info(e, "public", src.String(), "camera", a.r.cam.Addr.String())
		}
		if connected {
			a.r.mu.Lock()
			select {
			case <-a.r.connected: // an earlier attempt of this camera got there first
			default:
				close(a.r.connected)
			}
			a.r.mu.Unlock()
		}
	}
}

// acked drops what the camera acknowledged from the unacknowledged bytes.
func (a *tcpAttempt) acked(ack uint32) {
	n := ack - a.una
	if n == 0 || n > uint32(len(a.out)) { // old or beyond what we sent (int32 wrap-safe: unsigned distance)
		return
	}
	a.out, a.una = a.out[n:], ack
}

// keep sends the session's keepalive every keepalive period over a
// connection the platform completed (a BXSDK session), resending whatever
// the camera has not acknowledged with it, as a TCP sender would; a camera
// whose answers stop for lostAfter periods is lost, to be reconnected
// through its trigger at the trigger's next refresh. The connection's port
// is reused after tcpPorts later attempts, which ends the session.
func (t *tcpSide) keep(a *tcpAttempt, port uint16, k keeper) {
	period := t.keepalive
	tick := t.env.Clock.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
		t.mu.Lock()
		if a.done || t.attempts[port] != a {
			t.mu.Unlock()
			return
		}
		silent := t.env.Clock.Sim(time.Since(a.lastSeen))
		if silent > time.Duration(t.lostAfter)*period+period/2 {
			a.done = true
			t.mu.Unlock()
			a.r.mu.Lock()
			a.r.lost = true
			a.r.mu.Unlock()
			t.env.Log.Info("platform.camera_lost", "camera", a.r.cam.Addr.String(), "silence", silent)
			t.env.Log.Info("platform.camera_lost_" + group(a.r.node))
			return
		}
		frame := k.keepalive()
		a.out = append(a.out, frame...)
		a.nxt += uint32(len(frame))
		t.send(a.dst, a.dport, layers.TCPPort(port), a.una, a.ack, true, a.out)
		t.mu.Unlock()
		t.env.Log.Info("platform.keepalive", "camera", a.r.cam.Addr.String(), "type", a.r.cam.Type)
	}
}

// retransmit resends the request until the camera answers it, as a real
// TCP would: the first segments after the handshake may be lost (e.g. while
// the gateway resolves the camera's MAC).
func (t *tcpSide) retransmit(a *tcpAttempt, port uint16, dst []byte, dport layers.TCPPort) {
	rto := t.env.Clock.Real(200 * time.Millisecond)
	for range 5 {
		select {
		case <-t.ctx.Done():
			return
		case <-time.After(rto):
		}
		t.mu.Lock()
		done, seq, ack := a.done || a.got || t.attempts[port] != a, a.seq, a.ack
		t.mu.Unlock()
		if done {
			return
		}
		t.send(dst, dport, layers.TCPPort(port), seq, ack, true, a.request)
		rto *= 2
	}
}

// send writes one ACK segment (with PSH and a payload if given).
func (t *tcpSide) send(dst []byte, dport, sport layers.TCPPort, seq, ack uint32, psh bool, payload []byte) {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: t.env.Addr.AsSlice(), DstIP: dst}
	tcp := &layers.TCP{SrcPort: sport, DstPort: dport, Seq: seq, Ack: ack, ACK: true, PSH: psh, Window: 64240}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, tcp, gopacket.Payload(payload)); err != nil {
		t.env.Log.Info("platform.send_error", "err", err.Error())
		return
	}
	to := &unix.SockaddrInet4{Addr: [4]byte(dst)}
	if err := unix.Sendto(t.fd, buf.Bytes(), 0, to); err != nil {
		t.env.Log.Info("platform.send_error", "err", err.Error())
	}
}

// be16 is a port in network order for nftables comparisons.
func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
