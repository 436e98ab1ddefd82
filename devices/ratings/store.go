package ratings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// store is the server's durable state: content-stream sessions and viewing
// records in SQLite (WAL, synchronous=FULL by default). Every write goes through one
// committer goroutine that owns the only write connection and commits
// writes in groups (group commit): a write waits until the transaction
// holding it has committed — the WAL is fsynced — before it returns, so a
// record is on disk before the 200 OK that acknowledges it, and one fsync
// covers every write that arrived while the previous one ran. Reads use a
// separate pool of read-only connections and see committed data only.
type store struct {
	path     string // SQLite: the database file; PostgreSQL: ""
	pg       bool   // PostgreSQL (store_postgres.go) instead of SQLite
	w, r     *sql.DB
	stmts    map[string]*sql.Stmt
	ops      chan *op
	quit     chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	// cache holds sessions as committed, so a report's session lookup
	// needs no read transaction; a miss (e.g. after a restart) reads the
	// database and fills it.
	mu    sync.Mutex
	cache map[string]session
}

// maxCache bounds the session cache; past it, ended sessions are dropped.
const maxCache = 1 << 17

// op is one write: fn runs inside the group's transaction; err receives
// its error, or the commit's.
type op struct {
	fn  func(tx *sql.Tx) error
	err chan error
}

// maxGroup bounds the writes of one transaction.
const maxGroup = 512

// errClosed answers writes that arrive after close began.
var errClosed = errors.New("ratings store closed")

// schema is the store's tables, the same on SQLite and PostgreSQL (BIGINT
// is SQLite's INTEGER; "user" is quoted: PostgreSQL reserves it).
var schema = []string{
	`CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS sessions(
	id TEXT PRIMARY KEY, "user" TEXT NOT NULL, service TEXT NOT NULL, program TEXT NOT NULL,
	first_ms BIGINT NOT NULL, last_ms BIGINT)`,
	`CREATE TABLE IF NOT EXISTS viewings(
	session TEXT PRIMARY KEY REFERENCES sessions(id), "user" TEXT NOT NULL, service TEXT NOT NULL,
	program TEXT NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT,
	login_ms BIGINT NOT NULL, logout_ms BIGINT)`,
	`CREATE TABLE IF NOT EXISTS subscriptions("user" TEXT NOT NULL, service TEXT NOT NULL, PRIMARY KEY("user", service))`,
}

// The write statements, prepared once on the write connection. Written
// with ? placeholders (q rewrites them for PostgreSQL) and the upsert
// syntax both databases share (ON CONFLICT ... DO NOTHING), so a retried
// write is a no-op on either.
var writeSQL = map[string]string{
	"addSession":  `INSERT INTO sessions(id, "user", service, program, first_ms) VALUES(?, ?, ?, ?, ?)`,
	"endSession":  `UPDATE sessions SET last_ms = ? WHERE id = ? AND last_ms IS NULL`,
	"lastFrame":   `SELECT last_ms FROM sessions WHERE id = ?`,
	"logIn":       `INSERT INTO viewings(session, "user", service, program, start_ms, login_ms) VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(session) DO NOTHING`,
	"logOut":      `UPDATE viewings SET end_ms = ?, logout_ms = ? WHERE session = ? AND end_ms IS NULL`,
	"hasViewing":  `SELECT 1 FROM viewings WHERE session = ?`,
	"subscribe":   `INSERT INTO subscriptions("user", service) VALUES(?, ?) ON CONFLICT("user", service) DO NOTHING`,
	"unsubscribe": `DELETE FROM subscriptions WHERE "user" = ? AND service = ?`,
}

// Durability levels of the store (ServerOptions.Sync).
const (
	// SyncFull fsyncs the WAL at every group commit: an acknowledged
	// record survives a server crash and a power loss or kernel crash.
	SyncFull = "full"
	// SyncNormal writes the WAL at every group commit and fsyncs it only
	// at checkpoints: an acknowledged record survives a crash or kill of
	// the server process (it is in the kernel's page cache), not a power
	// loss or kernel crash.
	SyncNormal = "normal"
)

// openStore opens (or creates) the database at path with durability sync
// (SyncFull or SyncNormal). run identifies the run: a file left by another
// run (same --out folder) is emptied first, while a restart within the run
// keeps everything.
func openStore(path, run, sync string) (*store, error) {
	const common = "&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	mode := "FULL"
	if sync == SyncNormal {
		mode = "NORMAL"
	}
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous("+mode+")"+common)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1) // the committer's connection; SQLite has one writer anyway
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := newStore(path, false, w)
	if err := s.init(run); err != nil {
		w.Close()
		return nil, fmt.Errorf("ratings store %s: %w", path, err)
	}
	if err := s.prepare(); err != nil {
		w.Close()
		return nil, fmt.Errorf("ratings store %s: %w", path, err)
	}
	s.r, err = sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)"+common)
	if err != nil {
		w.Close()
		return nil, err
	}
	s.r.SetMaxOpenConns(4)
	if err := s.warm(); err != nil {
		s.r.Close()
		w.Close()
		return nil, fmt.Errorf("ratings store %s: %w", path, err)
	}
	go s.commit()
	return s, nil
}

// backend names the database: sqlite or postgres.
func (s *store) backend() string {
	if s.pg {
		return "postgres"
	}
	return "sqlite"
}

// newStore is a store on the write and read pools w and r, not started.
func newStore(path string, pg bool, w *sql.DB) *store {
	return &store{path: path, pg: pg, w: w, stmts: map[string]*sql.Stmt{}, ops: make(chan *op, 4*maxGroup),
		quit: make(chan struct{}), done: make(chan struct{}), cache: map[string]session{}}
}

// prepare prepares the write statements on the write connection.
func (s *store) prepare() error {
	for name, text := range writeSQL {
		st, err := s.w.Prepare(s.q(text))
		if err != nil {
			return fmt.Errorf("prepare %s: %w", name, err)
		}
		s.stmts[name] = st
	}
	return nil
}

// q adapts a statement written with ? placeholders to the database:
// PostgreSQL numbers them ($1, $2, ...). No statement here has a ? in a
// string literal.
func (s *store) q(text string) string {
	if !s.pg {
		return text
	}
	var b strings.Builder
	n := 0
	for _, r := range text {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// warm loads the sessions that may still be reported on (no closed
// viewing yet) into the cache, so reports after a restart need no reads.
func (s *store) warm() error {
	rows, err := s.r.Query(s.q(`SELECT s.id, s."user", s.service, s.program, s.first_ms, s.last_ms FROM sessions s
		LEFT JOIN viewings v ON v.session = s.id WHERE v.end_ms IS NULL LIMIT ?`), maxCache)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ss session
		var first int64
		var last sql.NullInt64
		if err := rows.Scan(&ss.id, &ss.user, &ss.service, &ss.program, &first, &last); err != nil {
			return err
		}
		ss.first, ss.last, ss.ended = ms(first), ms(last.Int64), last.Valid
		s.cache[ss.id] = ss
	}
	return rows.Err()
}

// init creates the tables and empties them if they hold another run's
// records (the run id in meta differs), in one transaction.
func (s *store) init(run string) error {
	tx, err := s.w.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, st := range schema {
		if _, err := tx.Exec(st); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
	}
	var old string
	err = tx.QueryRow(`SELECT value FROM meta WHERE key = 'run'`).Scan(&old)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if old == run {
		return tx.Commit()
	}
	for _, st := range []string{`DELETE FROM viewings`, `DELETE FROM sessions`, `DELETE FROM subscriptions`} {
		if _, err := tx.Exec(st); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(s.q(`INSERT INTO meta(key, value) VALUES('run', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`), run); err != nil {
		return err
	}
	return tx.Commit()
}

// close stops the committer (a write not committed yet fails; it was never
// acknowledged) and closes the database.
func (s *store) close() error {
	s.stop()
	for _, st := range s.stmts {
		st.Close()
	}
	var rerr error
	if s.r != nil {
		rerr = s.r.Close()
	}
	return errors.Join(rerr, s.w.Close())
}

// stop ends the committer: queued writes fail, the group in progress
// finishes. Reads keep working until close. Safe to call more than once.
func (s *store) stop() {
	s.stopOnce.Do(func() { close(s.quit) })
	<-s.done
}

// commit is the committer: it takes every write waiting, runs them in one
// transaction, commits, and only then answers them.
func (s *store) commit() {
	defer close(s.done)
	group := make([]*op, 0, maxGroup)
	for {
		group = group[:0]
		select {
		case <-s.quit:
			s.failWaiting()
			return
		case o := <-s.ops:
			group = append(group, o)
		}
	fill:
		for len(group) < maxGroup {
			select {
			case o := <-s.ops:
				group = append(group, o)
			default:
				break fill
			}
		}
		s.run(group)
	}
}

func (s *store) run(group []*op) {
	errs := make([]error, len(group))
	tx, err := s.w.Begin()
	if err == nil {
		for i, o := range group {
			errs[i] = s.apply(tx, o.fn)
		}
		err = tx.Commit()
	}
	for i, o := range group {
		if err != nil {
			errs[i] = fmt.Errorf("commit: %w", err)
		}
		o.err <- errs[i]
	}
}

// apply runs one write of a group. On PostgreSQL a failed statement aborts
// the whole transaction, so each write runs under a savepoint and a failed
// one is rolled back alone, as SQLite does by itself: one bad write never
// fails the others of its group.
func (s *store) apply(tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if !s.pg {
		return fn(tx)
	}
	if _, err := tx.Exec(`SAVEPOINT w`); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if _, rerr := tx.Exec(`ROLLBACK TO SAVEPOINT w`); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := tx.Exec(`RELEASE SAVEPOINT w`)
	return err
}

func (s *store) failWaiting() {
	for {
		select {
		case o := <-s.ops:
			o.err <- errClosed
		default:
			return
		}
	}
}

// write runs fn in the next group's transaction and returns once that
// transaction committed (or failed).
func (s *store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	o := &op{fn: fn, err: make(chan error, 1)}
	select {
	case <-s.quit:
		return errClosed
	default:
	}
	select {
	case s.ops <- o:
	case <-s.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the write is waited for even if ctx ends: the caller
	// must not answer before knowing whether it is on disk. A write still
	// queued when the committer stopped never ran.
	select {
	case err := <-o.err:
		return err
	case <-s.done:
		select {
		case err := <-o.err:
			return err
		default:
			return errClosed
		}
	}
}

func (s *store) stmt(tx *sql.Tx, name string) *sql.Stmt { return tx.Stmt(s.stmts[name]) }

// session is one content-stream session.
type session struct {
	id, user, service, program string
	first, last                time.Duration
	ended                      bool
}

func (s *store) addSession(ctx context.Context, ss session) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.stmt(tx, "addSession").Exec(ss.id, ss.user, ss.service, ss.program, ss.first.Milliseconds())
		return err
	})
	if err == nil {
		ss.last, ss.ended = 0, false
		s.remember(ss, true)
	}
	return err
}

// remember puts a committed session in the cache; a fill from a read
// (newer=false) never replaces an entry a commit put there.
func (s *store) remember(ss session, newer bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cache[ss.id]; ok && !newer {
		return
	}
	if len(s.cache) >= maxCache {
		for id, c := range s.cache {
			if c.ended {
				delete(s.cache, id)
			}
		}
	}
	s.cache[ss.id] = ss
}

func (s *store) forget(id string) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}

func (s *store) session(ctx context.Context, id string) (session, bool, error) {
	s.mu.Lock()
	c, ok := s.cache[id]
	s.mu.Unlock()
	if ok {
		return c, true, nil
	}
	ss, ok, err := s.readSession(ctx, id)
	if ok {
		s.remember(ss, false)
	}
	return ss, ok, err
}

func (s *store) readSession(ctx context.Context, id string) (session, bool, error) {
	ss := session{id: id}
	var first int64
	var last sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT "user", service, program, first_ms, last_ms FROM sessions WHERE id = ?`), id).
		Scan(&ss.user, &ss.service, &ss.program, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, false, nil
	}
	ss.first, ss.last, ss.ended = ms(first), ms(last.Int64), last.Valid
	return ss, err == nil, err
}

// endSession records the last frame of a session once; it returns the
// recorded last frame (the earlier one if it had ended already).
func (s *store) endSession(ctx context.Context, id string, last time.Duration) (time.Duration, error) {
	var got int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := s.stmt(tx, "endSession").Exec(last.Milliseconds(), id); err != nil {
			return err
		}
		return s.stmt(tx, "lastFrame").QueryRow(id).Scan(&got)
	})
	if err != nil {
		return 0, err
	}
	if ss, ok, err := s.readSession(ctx, id); err == nil && ok {
		s.remember(ss, true)
	} else {
		s.forget(id)
	}
	return ms(got), nil
}

// logIn opens the viewing of a session; false if it was open already (a retry).
func (s *store) logIn(ctx context.Context, ss session, now time.Duration) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.stmt(tx, "logIn").Exec(ss.id, ss.user, ss.service, ss.program, ss.first.Milliseconds(), now.Milliseconds())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

// errNoLogIn: a LogOutInfo for a session with no LogInInfo.
var errNoLogIn = errors.New("no LogInInfo for this session")

// logOut closes the viewing at the session's last frame; false if it was closed already.
func (s *store) logOut(ctx context.Context, ss session, now time.Duration) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.stmt(tx, "logOut").Exec(ss.last.Milliseconds(), now.Milliseconds(), ss.id)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var one int
		if err := s.stmt(tx, "hasViewing").QueryRow(ss.id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return errNoLogIn
		} else if err != nil {
			return err
		}
		return nil
	})
	if err == nil && n == 1 {
		s.forget(ss.id) // its last report; a retry reads the database
	}
	return n == 1, err
}

// setSubscription subscribes user to service (on) or unsubscribes.
func (s *store) setSubscription(ctx context.Context, user, service string, on bool) error {
	name := "unsubscribe"
	if on {
		name = "subscribe"
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.stmt(tx, name).Exec(user, service)
		return err
	})
}

// subscriptions lists user's subscribed services, sorted.
func (s *store) subscriptions(ctx context.Context, user string) ([]string, error) {
	return s.strings(ctx, `SELECT service FROM subscriptions WHERE "user" = ? ORDER BY service`, user)
}

// watchers lists the users with an open viewing (logged in, not out) of service.
func (s *store) watchers(ctx context.Context, service string) ([]string, error) {
	return s.strings(ctx, `SELECT DISTINCT "user" FROM viewings WHERE service = ? AND end_ms IS NULL ORDER BY "user"`, service)
}

func (s *store) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// viewings lists every viewing record.
func (s *store) viewings(ctx context.Context) ([]audience.Viewing, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT session, "user", service, program, start_ms, end_ms FROM viewings ORDER BY start_ms, session`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audience.Viewing
	for rows.Next() {
		var v audience.Viewing
		var start int64
		var end sql.NullInt64
		if err := rows.Scan(&v.Session, &v.User, &v.Service, &v.Program, &start, &end); err != nil {
			return nil, err
		}
		v.Start, v.End, v.Open = ms(start), ms(end.Int64), !end.Valid
		out = append(out, v)
	}
	return out, rows.Err()
}

// checkpoint moves the WAL into the database file and truncates it (the
// committer waits meanwhile: it shares the one write connection). On
// PostgreSQL the server checkpoints by itself: nothing to do.
func (s *store) checkpoint(ctx context.Context) error {
	if s.pg {
		return nil
	}
	_, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// size is the bytes of the database file and its WAL; on PostgreSQL, of
// the store's tables with their indexes and TOAST.
func (s *store) size(ctx context.Context) int64 {
	if s.pg {
		return s.pgSize(ctx)
	}
	return fileSize(s.path) + fileSize(s.path+"-wal")
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
