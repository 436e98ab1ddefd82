package ratings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestStoreDurableAndIdempotent(t *testing.T) {
	forEachBackend(t, testStoreDurableAndIdempotent)
}

func testStoreDurableAndIdempotent(t *testing.T, openStore opener) {
	ctx := context.Background()
	s, err := openStore("run1", SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	ss := session{id: "s1", user: "u", service: "01", program: "01-000", first: 1500 * time.Millisecond}
	if err := s.addSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if _, err := s.logOut(ctx, ss, time.Second); !errors.Is(err, errNoLogIn) {
		t.Errorf("LogOutInfo before LogInInfo: %v; want errNoLogIn", err)
	}
	for i, want := range []bool{true, false} {
		if fresh, err := s.logIn(ctx, ss, 70*time.Second); err != nil || fresh != want {
			t.Fatalf("logIn #%d = %v, %v; want %v (a retry is stored once)", i, fresh, err, want)
		}
	}
	s.close()

	// A restart within the run keeps everything (no acknowledged record lost).
	s, err = openStore("run1", SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	last, err := s.endSession(ctx, "s1", 90*time.Second)
	if err != nil || last != 90*time.Second {
		t.Fatalf("endSession = %v, %v", last, err)
	}
	if last, _ := s.endSession(ctx, "s1", 99*time.Second); last != 90*time.Second {
		t.Errorf("a second end moved the last frame to %v", last)
	}
	got, ok, err := s.session(ctx, "s1")
	if err != nil || !ok || !got.ended || got.first != 1500*time.Millisecond {
		t.Fatalf("session = %+v %v %v", got, ok, err)
	}
	for i, want := range []bool{true, false} {
		if fresh, err := s.logOut(ctx, got, 91*time.Second); err != nil || fresh != want {
			t.Fatalf("logOut #%d = %v, %v; want %v", i, fresh, err, want)
		}
	}
	vs, err := s.viewings(ctx)
	if err != nil || len(vs) != 1 || vs[0].Start != 1500*time.Millisecond || vs[0].End != 90*time.Second || vs[0].Open {
		t.Fatalf("viewings = %+v, %v", vs, err)
	}
	s.close()

	// A file (schema) left by another run is emptied.
	s, err = openStore("run2", SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if vs, _ := s.viewings(ctx); len(vs) != 0 {
		t.Fatalf("another run's records survived: %+v", vs)
	}
}

// Group commit: concurrent writes are acknowledged only once committed, so
// every acknowledged one is there after a reopen; writes after close fail.
func TestStoreGroupCommitConcurrent(t *testing.T) {
	forEachBackend(t, testStoreGroupCommitConcurrent)
}

func testStoreGroupCommitConcurrent(t *testing.T, openStore opener) {
	ctx := context.Background()
	s, err := openStore("run1", SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			ss := session{id: fmt.Sprintf("s%d", i), user: "u", service: "01", program: "01-000", first: time.Second}
			if err := s.addSession(ctx, ss); err != nil {
				errs <- err
				return
			}
			_, err := s.logIn(ctx, ss, 61*time.Second)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s.close()
	if err := s.addSession(ctx, session{id: "late"}); !errors.Is(err, errClosed) {
		t.Errorf("write after close: %v; want errClosed", err)
	}
	s, err = openStore("run1", SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if vs, err := s.viewings(ctx); err != nil || len(vs) != n {
		t.Fatalf("after reopen: %d viewings, %v; want %d", len(vs), err, n)
	}
	if _, ok, _ := s.session(ctx, "s7"); !ok {
		t.Error("an open session was not found after reopen")
	}
}

// Seed 004 §1: subscriptions are durable server state (the list both sides
// converge on), and watchers are the users with an open viewing.
func TestStoreSubscriptionsAndWatchers(t *testing.T) {
	forEachBackend(t, testStoreSubscriptionsAndWatchers)
}

func testStoreSubscriptionsAndWatchers(t *testing.T, openStore opener) {
	ctx := context.Background()
	s, err := openStore("run1", SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		svc string
		on  bool
	}{{"03", true}, {"01", true}, {"03", true}, {"02", true}, {"02", false}, {"05", false}} {
		if err := s.setSubscription(ctx, "u", c.svc, c.on); err != nil {
			t.Fatal(err)
		}
	}
	ss := session{id: "s1", user: "u", service: "01", program: "01-000", first: time.Second}
	if err := s.addSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if _, err := s.logIn(ctx, ss, time.Minute); err != nil {
		t.Fatal(err)
	}
	if w, err := s.watchers(ctx, "01"); err != nil || len(w) != 1 || w[0] != "u" {
		t.Errorf("watchers(01) = %v, %v; want [u]", w, err)
	}
	s.close()
	s, err = openStore("run1", SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	got, err := s.subscriptions(ctx, "u")
	if err != nil || fmt.Sprint(got) != "[01 03]" {
		t.Errorf("subscriptions after reopen = %v, %v; want [01 03]", got, err)
	}
	if got, _ := s.subscriptions(ctx, "nobody"); len(got) != 0 {
		t.Errorf("a user without subscriptions has %v", got)
	}
}

// A write that fails (here: a session id that exists) fails alone; the
// other writes of its group commit. PostgreSQL aborts a transaction at its
// first error, so this checks the per-write savepoints there.
func TestStoreFailedWriteFailsAlone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, openStore opener) {
		ctx := context.Background()
		s, err := openStore("run1", SyncNormal)
		if err != nil {
			t.Fatal(err)
		}
		defer s.close()
		dup := session{id: "dup", user: "u", service: "01", program: "01-000", first: time.Second}
		if err := s.addSession(ctx, dup); err != nil {
			t.Fatal(err)
		}
		const n = 100
		type res struct {
			i   int
			err error
		}
		out := make(chan res, n)
		for i := range n {
			go func() {
				ss := session{id: fmt.Sprintf("s%d", i), user: "u", service: "01", program: "01-000", first: time.Second}
				if i%10 == 0 {
					ss = dup // rejected by the primary key
				}
				out <- res{i, s.addSession(ctx, ss)}
			}()
		}
		for range n {
			r := <-out
			if (r.i%10 == 0) != (r.err != nil) {
				t.Errorf("write %d: err %v; want an error only for the duplicate ids", r.i, r.err)
			}
		}
		for i := 1; i < n; i += 10 {
			if _, ok, err := s.readSession(ctx, fmt.Sprintf("s%d", i)); !ok || err != nil {
				t.Errorf("session s%d not committed: %v", i, err)
			}
		}
	})
}

func TestStorePlaceholders(t *testing.T) {
	pg, lite := &store{pg: true}, &store{}
	for _, c := range []struct{ in, pg string }{
		{`SELECT 1`, `SELECT 1`},
		{`UPDATE v SET a = ?, b = ? WHERE c = ?`, `UPDATE v SET a = $1, b = $2 WHERE c = $3`},
		{`INSERT INTO x("user") VALUES(?) ON CONFLICT DO NOTHING`, `INSERT INTO x("user") VALUES($1) ON CONFLICT DO NOTHING`},
	} {
		if got := pg.q(c.in); got != c.pg {
			t.Errorf("postgres q(%q) = %q; want %q", c.in, got, c.pg)
		}
		if got := lite.q(c.in); got != c.in {
			t.Errorf("sqlite q(%q) = %q; want it unchanged", c.in, got)
		}
	}
}

func TestPostgresSchema(t *testing.T) {
	for _, c := range []struct{ node, want string }{
		{"ratings", "ratings_ratings"},
		{"Ratings-2.x", "ratings_ratings_2_x"},
		{strings.Repeat("a", 80), "ratings_" + strings.Repeat("a", 55)},
	} {
		if got := PostgresSchema(c.node); got != c.want {
			t.Errorf("PostgresSchema(%q) = %q; want %q", c.node, got, c.want)
		}
	}
}
