package acs

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/nat/stun"
	"github.com/boxlab/boxlab/sim/clock"
)

// Keepalive load over real UDP on loopback: clients send RFC 3489 Binding
// Requests with USERNAME + MESSAGE-INTEGRITY (pre-signed, a fresh
// transaction id each) to the acs STUN entity (the product path: stunLoop →
// keepalive → CheckKeepalive → online tracker → reply) and count the
// answers. The baseline is a plain UDP echo loop on the same kind of
// sockets with the same clients, measured in the same run: the ratio says
// how much of the syscall-bound budget the STUN check costs.

const (
	benchDevices = 256 // devices, each with its own credential
	benchMsgs    = 32  // distinct pre-signed keepalives per device
	benchWorkers = 8   // client sockets
	benchWindow  = 16  // requests in flight per client socket
)

func benchServer(b *testing.B) (*Server, [][][]byte) {
	b.Helper()
	s := &Server{Options: *DefaultOptions()}
	s.Options.Period = 0 // no too-frequent flag: the clients send back to back
	s.env = &devices.Env{Node: "acs", Addr: netip.MustParseAddr("127.0.0.1"), Clock: clock.New(1), Log: slog.New(slog.DiscardHandler)}
	s.devs, s.byUser, s.sessions = map[string]*device{}, map[string]*device{}, map[string]*session{}
	s.tracker = annexg.Tracker{Missed: 3}
	msgs := make([][][]byte, benchDevices)
	for i := range benchDevices {
		id := fmt.Sprintf("home%d-stb0", i)
		d := &device{ID: id, Cred: &annexg.Credential{Device: id}}
		s.devs[id], s.byUser[id] = d, d
		s.rotate(d)
		d.Cred.Min = 0
		for range benchMsgs {
			m := &stun.Message{Dialect: stun.Classic, Type: stun.BindingRequest, TransactionID: stun.NewClassicTransactionID()}
			m.Add(stun.AttrUsername, []byte(id))
			m.Add(stun.AttrConnectionRequestBinding, []byte(stun.CRBValue))
			raw, err := stun.EncodeSigned(m, d.Params.STUNPassword)
			if err != nil {
				b.Fatal(err)
			}
			msgs[i] = append(msgs[i], raw)
		}
	}
	return s, msgs
}

// clients are the load generator's sockets; each keeps its place in the
// message cycle, so no transaction id repeats from a new source (which the
// STUN entity would refuse as a replay).
type clients struct {
	conns []*net.UDPConn
	next  []int
	msgs  [][][]byte
}

func newClients(b *testing.B, msgs [][][]byte) *clients {
	cl := &clients{msgs: msgs, next: make([]int, benchWorkers)}
	for range benchWorkers {
		cl.conns = append(cl.conns, loopback(b))
	}
	return cl
}

func (cl *clients) close() {
	for _, c := range cl.conns {
		c.Close()
	}
}

// drive sends n requests from every client socket to dst, keeping
// benchWindow in flight each, and returns answers per second.
func (cl *clients) drive(dst netip.AddrPort, n int) float64 {
	var answered atomic.Int64
	per := max(n/benchWorkers, benchWindow)
	var wg sync.WaitGroup
	start := time.Now()
	for w, c := range cl.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1500)
			sent, got := 0, 0
			send := func() {
				k := cl.next[w]
				cl.next[w]++
				devs := benchDevices / benchWorkers
				c.WriteToUDPAddrPort(cl.msgs[w+benchWorkers*(k%devs)][(k/devs)%benchMsgs], dst)
				sent++
			}
			for sent < benchWindow {
				send()
			}
			for got < per {
				c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
					for range benchWindow { // lost datagrams: refill the window
						send()
					}
					continue
				}
				got++
				answered.Add(1)
				if sent < per {
					send()
				}
			}
			// Drain what is still in flight before the next run.
			for {
				c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(answered.Load()) / time.Since(start).Seconds()
}

func echo(ctx context.Context, c *net.UDPConn) {
	buf := make([]byte, 2048)
	for ctx.Err() == nil {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		c.WriteToUDPAddrPort(buf[:n], from)
	}
}

func loopback(b *testing.B) *net.UDPConn {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkKeepaliveUDP measures keepalives handled per second by the acs
// STUN entity (one server goroutine, as in the product) against a plain
// UDP echo baseline, with GOMAXPROCS 1 (server and clients share one core)
// and with every core.
func BenchmarkKeepaliveUDP(b *testing.B) {
	for _, procs := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			s, msgs := benchServer(b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			ec := loopback(b)
			go echo(ctx, ec)
			s.stunc = loopback(b)
			go s.stunLoop(ctx)
			defer ec.Close()
			defer s.stunc.Close()
			cl := newClients(b, msgs)
			defer cl.close()
			n := max(b.N, 20000)
			echoAt, stunAt := ec.LocalAddr().(*net.UDPAddr).AddrPort(), s.stunc.LocalAddr().(*net.UDPAddr).AddrPort()
			cl.drive(echoAt, 2000) // warm up
			cl.drive(stunAt, 2000)
			b.ResetTimer()
			base := cl.drive(echoAt, n)
			ka := cl.drive(stunAt, n)
			b.StopTimer()
			if s.tracker.Count() != benchDevices {
				b.Fatalf("%d devices online; want %d (keepalives refused?)", s.tracker.Count(), benchDevices)
			}
			b.ReportMetric(ka, "keepalives/s")
			b.ReportMetric(base, "echo/s")
			b.ReportMetric(ka/base, "ratio")
			b.ReportMetric(0, "ns/op")
		})
	}
}
