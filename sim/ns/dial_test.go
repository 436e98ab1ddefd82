package ns

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
}

// loNS is a fresh namespace with lo up and a blackhole route for 10.99/16,
// so connects there stay pending until they time out.
func loNS(t *testing.T) *NS {
	t.Helper()
	n, err := Create("", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	h, err := n.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	// A veth pair with 10.99.0.1/16 on one end and nothing on the other:
	// SYNs to other 10.99 hosts wait for ARP replies nobody sends, so
	// connects stay in progress.
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "d0"}, PeerName: "d1"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"d1", "d0"} {
		l, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "d0" {
			addr, _ := netlink.ParseAddr("10.99.0.1/16")
			if err := h.AddrAdd(l, addr); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func TestDialContextConnectsInsideTheNamespace(t *testing.T) {
	needRoot(t)
	n := loNS(t)
	l, err := n.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := n.DialContext(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 2)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(buf); err != nil || string(buf) != "hi" {
		t.Fatalf("read %q, %v; want hi", buf, err)
	}
	if _, ok := c.(*net.TCPConn); !ok {
		t.Errorf("conn is %T; want *net.TCPConn", c)
	}
	// The listener lives only in n: the root namespace's 127.0.0.1 has no
	// such port open (the port is almost surely free there), so success
	// above proves the socket was made inside n.
	_, port, _ := net.SplitHostPort(l.Addr().String())
	if _, err := n.DialContext(context.Background(), "tcp", "127.0.0.1:1"); err == nil {
		t.Error("dial to a closed port succeeded; want connection refused")
	}
	u, err := n.DialContext(context.Background(), "udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	u.Close()
}

func TestDialContextPendingConnectsHoldNoThread(t *testing.T) {
	needRoot(t)
	n := loNS(t)
	before := threads(t)
	ctx, cancel := context.WithCancel(context.Background())
	const dials = 200
	errs := make(chan error, dials)
	for i := 0; i < dials; i++ {
		go func() {
			_, err := n.DialContext(ctx, "tcp", "10.99.1."+strconv.Itoa(1+i%250)+":80")
			errs <- err
		}()
	}
	// Let every dial reach its pending connect, then count threads.
	time.Sleep(500 * time.Millisecond)
	during := threads(t)
	cancel()
	for i := 0; i < dials; i++ {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("pending dial ended with %v; want context.Canceled", err)
		}
	}
	if during-before > dials/4 {
		t.Errorf("%d pending connects grew the process from %d to %d OS threads; want them parked on the netpoller", dials, before, during)
	}
}

func TestDialContextDeadline(t *testing.T) {
	needRoot(t)
	n := loNS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := n.DialContext(ctx, "tcp", "10.99.2.2:80")
	if err == nil {
		t.Fatal("dial to a host that never answers succeeded")
	}
	var nerr net.Error
	if !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Errorf("dial past its deadline: %v is not a net.Error timeout (net/http relies on it)", err)
	}
}

func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatal("no Threads: in /proc/self/status")
	return 0
}
