package standalone

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/echo"
	"github.com/boxlab/boxlab/sim/ns"
	"github.com/boxlab/boxlab/sim/ns/nstest"
)

// loNS is a fresh namespace with lo up; the test's devices live there, never
// in the host's namespace.
func loNS(t *testing.T) (*ns.NS, string) {
	n := nstest.Loopback(t)
	return n, fmt.Sprintf("/proc/self/fd/%d", n.Fd())
}

// syncBuf is a bytes.Buffer the journal's flusher and the test share.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// events decodes the journal lines written so far.
func events(t *testing.T, out *syncBuf) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		evs = append(evs, m)
	}
	return evs
}

func TestRunServesInTheGivenNamespaceAndStopsOnCancel(t *testing.T) {
	n, path := loNS(t)
	role := echo.Roles()[0]
	opts := role.Options()
	opts.(*echo.ServerOptions).Port = 7007
	out := &syncBuf{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Role: role, Options: opts, NS: path, Out: out, Dir: t.TempDir(),
			Where: Where{Node: "srv", Addr: netip.MustParseAddr("127.0.0.1"), Speed: 2, Servers: map[string]netip.Addr{}}})
	}()
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 1500)
	got := false
	for i := 0; i < 100 && !got; i++ { // the server may not listen yet
		c.WriteToUDP(echo.Request(uint64(i)), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7007})
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, _, err := c.ReadFromUDP(buf); err == nil {
			got = true
		}
	}
	if !got {
		t.Fatal("the udp-echo run standalone in the namespace never answered")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	evs := events(t, out)
	if len(evs) < 2 || evs[0]["event"] != "device.start" || evs[0]["node"] != "srv" || evs[0]["speed"] != 2.0 {
		t.Fatalf("first event %v; want device.start of srv at speed 2", evs)
	}
	if last := evs[len(evs)-1]; last["event"] != "device.stop" {
		t.Errorf("last event %v; want device.stop", last)
	}
	served := false
	for _, e := range evs {
		served = served || strings.HasPrefix(e["event"].(string), "echo.")
	}
	if !served {
		t.Errorf("no echo.* event in %v", evs)
	}
}

// finisher records the order of Finish and Run's end (a test double of a
// role, not a product path).
type finisher struct {
	mu    sync.Mutex
	order []string
}

func (f *finisher) Run(ctx context.Context, env *devices.Env) error {
	env.Log.Info("test.running", "addr", env.Addr.String(), "public", env.Public().String())
	<-ctx.Done()
	f.mu.Lock()
	f.order = append(f.order, "run-cancelled")
	f.mu.Unlock()
	return nil
}

func (f *finisher) Finish(ctx context.Context, env *devices.Env) error {
	f.mu.Lock()
	f.order = append(f.order, "finish")
	f.mu.Unlock()
	env.Log.Info("test.finished")
	return nil
}

func TestRunFinishesBeforeCancelling(t *testing.T) {
	_, path := loNS(t)
	f := &finisher{}
	role := devices.Role{Name: "finisher", New: func(any) (devices.Device, error) { return f, nil }}
	out := &syncBuf{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Role: role, NS: path, Out: out, Dir: t.TempDir(),
			Where: Where{Addr: netip.MustParseAddr("10.1.2.3"), Speed: 1, Servers: map[string]netip.Addr{}}})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "test.running") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.order, ",") != "finish,run-cancelled" {
		t.Fatalf("order %v; want Finish before Run's context ends", f.order)
	}
	var running map[string]any
	for _, e := range events(t, out) {
		if e["event"] == "test.running" {
			running = e
		}
	}
	// No BOXLAB_NODE: the role's name; no BOXLAB_PUBLIC: its own address.
	if running["node"] != "finisher" || running["addr"] != "10.1.2.3" || running["public"] != "10.1.2.3" {
		t.Fatalf("test.running %v", running)
	}
	if !strings.Contains(out.String(), "test.finished") {
		t.Fatal("Finish's event not written")
	}
}

func TestRunWithoutAnyAddressFails(t *testing.T) {
	_, path := loNS(t) // lo only: no global address and no BOXLAB_ADDR
	role := devices.Role{Name: "x", New: func(any) (devices.Device, error) { return &finisher{}, nil }}
	err := Run(context.Background(), Config{Role: role, NS: path, Out: &syncBuf{}, Where: Where{Speed: 1}})
	if err == nil || !strings.Contains(err.Error(), "BOXLAB_ADDR") {
		t.Fatalf("error %v; want one naming BOXLAB_ADDR", err)
	}
}
