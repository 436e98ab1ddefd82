package stun

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

var (
	loA1 = netip.MustParseAddr("127.0.0.1")
	loA2 = netip.MustParseAddr("127.0.0.2")
)

// listenPair opens UDP sockets on addr1:P and addr2:P for one free port P.
func listenPair(t *testing.T, a1, a2 netip.Addr) (Socket, Socket) {
	t.Helper()
	for range 50 {
		c1, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a1, 0)))
		if err != nil {
			t.Fatal(err)
		}
		p := c1.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		c2, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a2, p)))
		if err != nil {
			c1.Close()
			continue
		}
		t.Cleanup(func() { c1.Close(); c2.Close() })
		return Socket{c1, netip.AddrPortFrom(a1, p)}, Socket{c2, netip.AddrPortFrom(a2, p)}
	}
	t.Fatal("no port free on both addresses")
	return Socket{}, Socket{}
}

// startServer runs an RFC 5780 server on 127.0.0.1 and 127.0.0.2 (both on lo).
func startServer(t *testing.T) *Server {
	t.Helper()
	a1p1, a2p1 := listenPair(t, loA1, loA2)
	a1p2, a2p2 := listenPair(t, loA1, loA2)
	s, err := NewServer(a1p1, a1p2, a2p1, a2p2)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

type client struct {
	t *testing.T
	c *net.UDPConn
}

func newClient(t *testing.T) *client {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t, c}
}

func (c *client) addr() netip.AddrPort { return c.c.LocalAddr().(*net.UDPAddr).AddrPort() }

func (c *client) send(to netip.AddrPort, m *Message) {
	c.t.Helper()
	b, err := m.Encode()
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.c.WriteToUDPAddrPort(b, to); err != nil {
		c.t.Fatal(err)
	}
}

// recv returns the next message, or nil after wait.
func (c *client) recv(wait time.Duration) (*Message, netip.AddrPort) {
	c.t.Helper()
	buf := make([]byte, 2048)
	c.c.SetReadDeadline(time.Now().Add(wait))
	n, from, err := c.c.ReadFromUDPAddrPort(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, netip.AddrPort{}
	}
	if err != nil {
		c.t.Fatal(err)
	}
	m, err := Parse(buf[:n])
	if err != nil {
		c.t.Fatalf("server sent a bad message %x: %v", buf[:n], err)
	}
	return m, from
}

func (c *client) do(to netip.AddrPort, m *Message) (*Message, netip.AddrPort) {
	c.t.Helper()
	c.send(to, m)
	r, from := c.recv(2 * time.Second)
	if r == nil {
		c.t.Fatalf("no answer from %v", to)
	}
	if r.TransactionID != m.TransactionID {
		c.t.Fatalf("answer for another transaction")
	}
	return r, from
}

func request(d Dialect, attrs ...Attr) *Message {
	tid := NewTransactionID()
	if d == Classic {
		tid = NewClassicTransactionID()
	}
	return &Message{Dialect: d, Type: BindingRequest, TransactionID: tid, Attrs: attrs}
}

func mustAddr(t *testing.T, f func() (netip.AddrPort, error)) netip.AddrPort {
	t.Helper()
	ap, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func TestBindingChangeRequest(t *testing.T) {
	s := startServer(t)
	a := s.Addrs() // A1:P1, A1:P2, A2:P1, A2:P2
	tests := []struct {
		name             string
		to               int
		changeIP, change bool
		from, other      int
	}{
		{"RFC 5780 §4.3 test I: no change", 0, false, false, 0, 3},
		{"RFC 5780 §4.4 test II: change IP and port", 0, true, true, 3, 3},
		{"RFC 5780 §4.4 test III: change port", 0, false, true, 1, 3},
		{"change IP only", 0, true, false, 2, 3},
		{"to A2:P2, change both: OTHER-ADDRESS is A1:P1", 3, true, true, 0, 0},
		{"to A1:P2, change IP", 1, true, false, 3, 2},
		{"to A2:P1, change port", 2, false, true, 3, 1},
	}
	for _, d := range []Dialect{RFC5389, Classic} {
		for _, tt := range tests {
			c := newClient(t)
			r, from := c.do(a[tt.to], request(d, ChangeRequestAttr(tt.changeIP, tt.change)))
			if r.Type != BindingSuccess || r.Dialect != d {
				t.Fatalf("%v %s: got type %#x dialect %v", d, tt.name, r.Type, r.Dialect)
			}
			if from != a[tt.from] {
				t.Errorf("%v %s: answered from %v; want %v", d, tt.name, from, a[tt.from])
			}
			if got := mustAddr(t, r.Origin); got != from {
				t.Errorf("%v %s: RESPONSE-ORIGIN/SOURCE-ADDRESS %v; packet came from %v", d, tt.name, got, from)
			}
			if got := mustAddr(t, r.Alternate); got != a[tt.other] {
				t.Errorf("%v %s: OTHER-ADDRESS/CHANGED-ADDRESS %v; want %v", d, tt.name, got, a[tt.other])
			}
			if got := mustAddr(t, r.MappedAddress); got != c.addr() {
				t.Errorf("%v %s: MAPPED-ADDRESS %v; want %v", d, tt.name, got, c.addr())
			}
			if d == RFC5389 {
				if got := mustAddr(t, r.XORMappedAddress); got != c.addr() {
					t.Errorf("%s: XOR-MAPPED-ADDRESS %v; want %v", tt.name, got, c.addr())
				}
				for _, at := range []AttrType{AttrResponseOrigin, AttrOtherAddress, AttrFingerprint} {
					if !r.Has(at) {
						t.Errorf("%s: RFC 5780 §6: response lacks %v", tt.name, at)
					}
				}
			} else {
				for _, at := range []AttrType{AttrSourceAddress, AttrChangedAddress} {
					if !r.Has(at) {
						t.Errorf("%s: RFC 3489 §11.1: response lacks %v", tt.name, at)
					}
				}
				if r.Has(AttrXORMappedAddress) || r.Has(AttrFingerprint) {
					t.Errorf("%s: classic response carries RFC 5389 attributes", tt.name)
				}
			}
		}
	}
	if st := s.Stats(); st.RFC5389 != uint64(len(tests)) || st.Classic != uint64(len(tests)) || st.Refused != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestResponseAddressRefused(t *testing.T) {
	s := startServer(t)
	a := s.Addrs()
	c, third := newClient(t), newClient(t)
	r, from := c.do(a[0], request(Classic, AddrAttr(AttrResponseAddress, third.addr()), ChangeRequestAttr(true, true)))
	if code, reason, err := r.ErrorCode(); r.Type != BindingError || code != 400 || err != nil {
		t.Errorf("RESPONSE-ADDRESS elsewhere: type %#x code %d %q %v; want a 400 error", r.Type, code, reason, err)
	}
	if from != a[0] {
		t.Errorf("error sent from %v; want the socket the request reached, %v", from, a[0])
	}
	if m, _ := third.recv(200 * time.Millisecond); m != nil {
		t.Errorf("server sent to a third party: %+v", m)
	}
	// RESPONSE-ADDRESS naming the source itself is answered normally.
	if r, _ := c.do(a[0], request(Classic, AddrAttr(AttrResponseAddress, c.addr()))); r.Type != BindingSuccess {
		t.Errorf("RESPONSE-ADDRESS = source: type %#x; want success", r.Type)
	}
	if st := s.Stats(); st.Classic != 2 || st.Refused != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestResponsePort(t *testing.T) {
	s := startServer(t)
	a := s.Addrs()
	c, other := newClient(t), newClient(t)
	port := other.addr().Port()
	req := request(RFC5389, Attr{Type: AttrResponsePort, Value: []byte{byte(port >> 8), byte(port), 0, 0}})
	c.send(a[0], req)
	r, from := other.recv(2 * time.Second)
	if r == nil || r.TransactionID != req.TransactionID || r.Type != BindingSuccess {
		t.Fatalf("RFC 5780 §7.5 RESPONSE-PORT: no answer at %v: %+v", other.addr(), r)
	}
	if got := mustAddr(t, r.XORMappedAddress); got != c.addr() || from != a[0] {
		t.Errorf("XOR-MAPPED-ADDRESS %v from %v; want the requester %v from %v", got, from, c.addr(), a[0])
	}
	if m, _ := c.recv(100 * time.Millisecond); m != nil {
		t.Errorf("requester also got an answer")
	}
}

func TestRefusedAndMalformed(t *testing.T) {
	s := startServer(t)
	a := s.Addrs()
	c := newClient(t)
	for _, d := range []Dialect{RFC5389, Classic} {
		r, _ := c.do(a[0], request(d, Attr{Type: 0x0042, Value: []byte("x")}, Attr{Type: 0xC001, Value: []byte("dslforum.org/TR-111 ")}))
		code, _, _ := r.ErrorCode()
		u, _ := r.Get(AttrUnknownAttributes)
		if r.Type != BindingError || code != 420 || string(u) != "\x00\x42" {
			t.Errorf("%v: RFC 5389 §7.3.1 unknown required attribute: type %#x code %d unknown %x; want 420 listing 0x0042", d, r.Type, code, u)
		}
		m := request(d)
		m.Type = 0x0002 // Shared Secret / unknown method
		if r, _ := c.do(a[0], m); r.Type != 0x0112 {
			t.Errorf("%v: other method: type %#x; want error 0x0112", d, r.Type)
		}
		m.Type = BindingSuccess // a response is never answered
		c.send(a[0], m)
	}
	for _, junk := range [][]byte{{}, []byte("GET http://x?ts=1 HTTP/1.1\r\n"), make([]byte, 19), tr111Request("x")[:24]} {
		c.c.WriteToUDPAddrPort(junk, a[1])
	}
	if m, _ := c.recv(200 * time.Millisecond); m != nil {
		t.Errorf("answered junk or a response: %+v", m)
	}
	want := Stats{RFC5389: 2, Classic: 2, Refused: 4, Malformed: 4, Ignored: 2}
	if got := s.Stats(); got != want {
		t.Errorf("stats %+v; want %+v", got, want)
	}
}

func TestServeStopsAndLeavesSockets(t *testing.T) {
	a1p1, a2p1 := listenPair(t, loA1, loA2)
	a1p2, a2p2 := listenPair(t, loA1, loA2)
	s, err := NewServer(a1p1, a1p2, a2p1, a2p2)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v; want nil when ctx ends", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
	if _, err := a1p1.Conn.WriteTo([]byte("x"), a1p1.Conn.LocalAddr()); err != nil {
		t.Errorf("socket closed by Serve: %v", err)
	}
}

func TestNewServerChecksSquare(t *testing.T) {
	a1p1, a2p1 := listenPair(t, loA1, loA2)
	a1p2, a2p2 := listenPair(t, loA1, loA2)
	tests := []struct {
		name string
		s    [4]Socket
		want string
	}{
		{"same address twice", [4]Socket{a1p1, a1p2, a1p1, a1p2}, "two distinct addresses"},
		{"same port twice", [4]Socket{a1p1, a1p1, a2p1, a2p1}, "two distinct ports"},
		{"crossed", [4]Socket{a1p1, a2p2, a2p1, a1p2}, "want"},
		{"missing conn", [4]Socket{{Addr: a1p1.Addr}, a1p2, a2p1, a2p2}, "want a connection"},
	}
	for _, tt := range tests {
		_, err := NewServer(tt.s[0], tt.s[1], tt.s[2], tt.s[3])
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v; want %q", tt.name, err, tt.want)
		}
	}
}
