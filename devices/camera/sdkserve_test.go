package camera

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
)

// counter counts events by name.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) Enabled(context.Context, slog.Level) bool { return true }
func (c *counter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	c.n[r.Message]++
	c.mu.Unlock()
	return nil
}
func (c *counter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *counter) WithGroup(string) slog.Handler      { return c }
func (c *counter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

// exchange serves one BXSDK connection, writes the client's bytes and
// returns every frame the camera answered before it closed the connection
// (or 1 s passed).
func exchange(t *testing.T, events *counter, client ...[]byte) []SDKFrame {
	t.Helper()
	cam := &Camera{Options: Options{SDKUser: "admin", SDKPassword: "secret"}}
	env := &devices.Env{Node: "home0-cam0", Log: slog.New(events)}
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); defer a.Close(); cam.serveSDKConn(env, a) }()
	go func() {
		for _, m := range client {
			if _, err := b.Write(m); err != nil {
				return
			}
		}
	}()
	b.SetReadDeadline(time.Now().Add(time.Second))
	raw, _ := io.ReadAll(b)
	b.Close()
	<-done
	var out []SDKFrame
	for len(raw) > 0 {
		f, n, err := ParseSDK(raw)
		if err != nil {
			t.Fatalf("the camera sent a bad frame %x: %v", raw, err)
		}
		out, raw = append(out, f), raw[n:]
	}
	return out
}

func frame(t *testing.T, f SDKFrame) []byte {
	t.Helper()
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSDKServer(t *testing.T) {
	t.Run("BXSDK/1: a right login opens a session; keepalives on it are acknowledged", func(t *testing.T) {
		ev := &counter{n: map[string]int{}}
		login := frame(t, SDKFrame{Type: SDKLogin, Seq: 1, User: "admin", Password: "secret"})
		// The login split across writes, as TCP may deliver it.
		got := exchange(t, ev, login[:3], login[3:])
		if len(got) != 1 || got[0].Type != SDKLoginOK || got[0].Seq != 1 || got[0].Session == 0 || got[0].Serial != "home0-cam0" {
			t.Fatalf("got %+v", got)
		}
		if ev.get("camera.sdk_login") != 1 || ev.get("camera.sdk_login_home") != 1 {
			t.Fatalf("events %v", ev.n)
		}
	})
	t.Run("BXSDK/1: a wrong password is denied and the connection closed", func(t *testing.T) {
		ev := &counter{n: map[string]int{}}
		got := exchange(t, ev, frame(t, SDKFrame{Type: SDKLogin, Seq: 4, User: "admin", Password: "guess"}),
			frame(t, SDKFrame{Type: SDKLogin, Seq: 5, User: "admin", Password: "secret"}))
		if len(got) != 1 || got[0].Type != SDKLoginDenied || got[0].Reason != SDKBadCredentials || got[0].Seq != 4 {
			t.Fatalf("got %+v", got)
		}
		if ev.get("camera.sdk_denied") != 1 || ev.get("camera.sdk_login") != 0 {
			t.Fatalf("events %v", ev.n)
		}
	})
	t.Run("BXSDK/1: a keepalive without a session is denied", func(t *testing.T) {
		ev := &counter{n: map[string]int{}}
		got := exchange(t, ev, frame(t, SDKFrame{Type: SDKKeepalive, Seq: 2, Session: 7}))
		if len(got) != 1 || got[0].Type != SDKLoginDenied || got[0].Reason != SDKNoSession {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("bad input: a malformed frame is counted and closes the connection, unanswered", func(t *testing.T) {
		ev := &counter{n: map[string]int{}}
		if got := exchange(t, ev, []byte("GET / HTTP/1.0\r\n\r\n")); len(got) != 0 {
			t.Fatalf("got %+v", got)
		}
		if ev.get("camera.bad_sdk") != 1 {
			t.Fatalf("events %v", ev.n)
		}
	})
	t.Run("bad input: a server frame from the client is refused", func(t *testing.T) {
		ev := &counter{n: map[string]int{}}
		got := exchange(t, ev, frame(t, SDKFrame{Type: SDKLoginOK, Seq: 3, Session: 1}))
		if len(got) != 1 || got[0].Type != SDKLoginDenied || got[0].Reason != SDKMalformed || ev.get("camera.bad_sdk") != 1 {
			t.Fatalf("got %+v, events %v", got, ev.n)
		}
	})
}
