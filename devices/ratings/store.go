package ratings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// store is the server's durable state: content-stream sessions and viewing
// records, in SQLite with WAL and synchronous=FULL, so a record is on disk
// before the 200 OK that acknowledges it.
type store struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
	id TEXT PRIMARY KEY, user TEXT NOT NULL, service TEXT NOT NULL, program TEXT NOT NULL,
	first_ms INTEGER NOT NULL, last_ms INTEGER);
CREATE TABLE IF NOT EXISTS viewings(
	session TEXT PRIMARY KEY REFERENCES sessions(id), user TEXT NOT NULL, service TEXT NOT NULL,
	program TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER,
	login_ms INTEGER NOT NULL, logout_ms INTEGER);
`

// openStore opens (or creates) the database at path. run identifies the
// run: a file left by another run (same --out folder) is emptied first,
// while a restart within the run keeps everything.
func openStore(path, run string) (*store, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	s := &store{db: db}
	if err := s.init(run); err != nil {
		db.Close()
		return nil, fmt.Errorf("ratings store %s: %w", path, err)
	}
	return s, nil
}

func (s *store) init(run string) error {
	if _, err := s.db.Exec(schema); err != nil {
		return err
	}
	var old string
	err := s.db.QueryRow(`SELECT value FROM meta WHERE key='run'`).Scan(&old)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if old == run {
		return nil
	}
	_, err = s.db.Exec(`DELETE FROM viewings; DELETE FROM sessions; INSERT OR REPLACE INTO meta(key, value) VALUES('run', ?)`, run)
	return err
}

func (s *store) close() error { return s.db.Close() }

// session is one content-stream session.
type session struct {
	id, user, service, program string
	first, last                time.Duration
	ended                      bool
}

func (s *store) addSession(ctx context.Context, ss session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions(id, user, service, program, first_ms) VALUES(?, ?, ?, ?, ?)`,
		ss.id, ss.user, ss.service, ss.program, ss.first.Milliseconds())
	return err
}

func (s *store) session(ctx context.Context, id string) (session, bool, error) {
	ss := session{id: id}
	var first int64
	var last sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT user, service, program, first_ms, last_ms FROM sessions WHERE id = ?`, id).
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
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_ms = ? WHERE id = ? AND last_ms IS NULL`, last.Milliseconds(), id); err != nil {
		return 0, err
	}
	ss, _, err := s.session(ctx, id)
	return ss.last, err
}

// logIn opens the viewing of a session; false if it was open already (a retry).
func (s *store) logIn(ctx context.Context, ss session, now time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO viewings(session, user, service, program, start_ms, login_ms) VALUES(?, ?, ?, ?, ?, ?)`,
		ss.id, ss.user, ss.service, ss.program, ss.first.Milliseconds(), now.Milliseconds())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// errNoLogIn: a LogOutInfo for a session with no LogInInfo.
var errNoLogIn = errors.New("no LogInInfo for this session")

// logOut closes the viewing at the session's last frame; false if it was closed already.
func (s *store) logOut(ctx context.Context, ss session, now time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE viewings SET end_ms = ?, logout_ms = ? WHERE session = ? AND end_ms IS NULL`,
		ss.last.Milliseconds(), now.Milliseconds(), ss.id)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM viewings WHERE session = ?`, ss.id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return false, errNoLogIn
	} else if err != nil {
		return false, err
	}
	return false, nil
}

// viewings lists every viewing record.
func (s *store) viewings(ctx context.Context) ([]audience.Viewing, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT session, user, service, program, start_ms, end_ms FROM viewings ORDER BY start_ms, session`)
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

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
