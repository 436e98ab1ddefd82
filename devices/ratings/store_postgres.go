package ratings

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens the store in PostgreSQL at dsn (a libpq connection
// string or URL), in the database schema named schema (created if missing;
// one per ratings-server node, so several servers can share a database).
// The tables, statements, group commit and idempotency are those of the
// SQLite store; run empties the schema's tables when they hold another
// run's records, as openStore does with a file.
//
// Durability: with SyncFull a group is acknowledged after PostgreSQL
// committed it with synchronous_commit on (its WAL flushed: survives a
// crash of either server and a power loss, if the PostgreSQL server
// fsyncs); SyncNormal sets synchronous_commit off on the write connection:
// an acknowledged record survives a crash or restart of the ratings server
// (PostgreSQL has it), but a crash of PostgreSQL itself may lose its last
// few hundred milliseconds of commits.
//
// The connection is made from boxlab's own network namespace, not the
// server node's: the database is the server's storage, outside the
// simulated network (a unix socket path or a loopback address).
func openPostgres(dsn, schema, run, sync string) (*store, error) {
	where := "postgres schema " + schema
	cfg := func(write bool) (*pgx.ConnConfig, error) {
		c, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("ratings store: dsn: %w", err)
		}
		c.RuntimeParams["search_path"] = quoteIdent(schema)
		c.RuntimeParams["application_name"] = "boxlab ratings-server"
		if write && sync == SyncNormal {
			c.RuntimeParams["synchronous_commit"] = "off"
		}
		return c, nil
	}
	wc, err := cfg(true)
	if err != nil {
		return nil, err
	}
	rc, err := cfg(false)
	if err != nil {
		return nil, err
	}
	w := stdlib.OpenDB(*wc)
	w.SetMaxOpenConns(1) // the committer's connection: one writer, as with SQLite
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := newStore("", true, w)
	if _, err := w.Exec(`CREATE SCHEMA IF NOT EXISTS ` + quoteIdent(schema)); err != nil {
		w.Close()
		return nil, fmt.Errorf("ratings store %s: %w", where, err)
	}
	if err := s.init(run); err != nil {
		w.Close()
		return nil, fmt.Errorf("ratings store %s: %w", where, err)
	}
	if err := s.prepare(); err != nil {
		w.Close()
		return nil, fmt.Errorf("ratings store %s: %w", where, err)
	}
	s.r = stdlib.OpenDB(*rc)
	s.r.SetMaxOpenConns(4)
	s.r.SetMaxIdleConns(4)
	if err := s.warm(); err != nil {
		s.r.Close()
		w.Close()
		return nil, fmt.Errorf("ratings store %s: %w", where, err)
	}
	go s.commit()
	return s, nil
}

// PostgresSchema is the database schema a ratings-server node keeps its
// tables in: ratings_ and the node name, lower case, other characters
// than letters and digits as _, at most 63 bytes (PostgreSQL's limit).
func PostgresSchema(node string) string {
	var b strings.Builder
	b.WriteString("ratings_")
	for _, r := range strings.ToLower(node) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// pgSize is the bytes of the store's tables in its schema (with indexes
// and TOAST); 0 if it cannot be read.
func (s *store) pgSize(ctx context.Context) int64 {
	var n sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
	if err != nil {
		return 0
	}
	return n.Int64
}
