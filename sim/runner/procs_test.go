package runner

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
)

type finishRecorder struct {
	mu    sync.Mutex
	order []string
}

func (f *finishRecorder) add(s string) {
	f.mu.Lock()
	f.order = append(f.order, s)
	f.mu.Unlock()
}

type finishing struct {
	name    string
	rec     *finishRecorder
	running chan struct{}
	fail    bool
}

func (d *finishing) Run(ctx context.Context, env *devices.Env) error {
	close(d.running)
	<-ctx.Done()
	return nil
}

func (d *finishing) Finish(ctx context.Context, env *devices.Env) error {
	d.rec.add(d.name)
	if d.fail {
		return errors.New("finish failed")
	}
	return nil
}

type plain struct{}

func (plain) Run(ctx context.Context, env *devices.Env) error { <-ctx.Done(); return nil }

func testProc(t *testing.T, server bool, dev devices.Device) *proc {
	t.Helper()
	return &proc{server: server, role: devices.Role{Name: "t", New: func(any) (devices.Device, error) { return dev, nil }},
		env: devices.Env{Log: slog.New(slog.DiscardHandler)}}
}

func TestFinishAllClientsBeforeServers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &finishRecorder{}
	procs := map[string]*proc{}
	var started []chan struct{}
	for _, n := range []struct {
		name   string
		server bool
	}{{"srv", true}, {"c1", false}, {"c2", false}, {"c3", false}} {
		d := &finishing{name: n.name, rec: rec, running: make(chan struct{}), fail: n.name == "c3"}
		procs[n.name] = testProc(t, n.server, d)
		started = append(started, d.running)
	}
	procs["plain"] = testProc(t, false, plain{})
	stopped := &finishing{name: "stopped", rec: rec, running: make(chan struct{})}
	procs["stopped"] = testProc(t, false, stopped)
	for _, p := range procs {
		p.start(ctx)
	}
	for _, c := range append(started, stopped.running) {
		<-c
	}
	procs["stopped"].stop(time.Second)

	finishAll(ctx, procs, time.Second, time.Now())
	if len(rec.order) != 4 || rec.order[3] != "srv" {
		t.Fatalf("Finish order %v; want the three clients (any order), then the server, and not the stopped device", rec.order)
	}
	for _, p := range procs {
		p.stop(time.Second)
	}
}
