package ratings

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/boxlab/boxlab/devices/ratings/pgtest"
)

// opener opens (again) the one database of a test, as a restart would.
type opener func(run, sync string) (*store, error)

// forEachBackend runs test against the SQLite store and the PostgreSQL
// store, each on a fresh database (a file; a schema). The PostgreSQL run
// uses the server at $BOXLAB_PG_DSN, or else a throwaway one (pgtest) for
// the whole package; it is skipped, saying why, when neither is possible.
func forEachBackend(t *testing.T, test func(t *testing.T, open opener)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		test(t, func(run, sync string) (*store, error) { return openStore(path, run, sync) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn, err := testPostgres()
		if err != nil {
			t.Skipf("PostgreSQL store not tested: %v (set %s to a server's DSN, or run as root with Debian's postgresql installed)", err, pgtest.EnvDSN)
		}
		schema := fmt.Sprintf("ratings_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
		test(t, func(run, sync string) (*store, error) { return openPostgres(dsn, schema, run, sync) })
	})
}

var (
	schemaSeq atomic.Int64
	pgOnce    sync.Once
	pgServer  *pgtest.Server
	pgDSN     string
	pgErr     error
)

// testPostgres gives the package's PostgreSQL server, started on first use.
func testPostgres() (string, error) {
	pgOnce.Do(func() {
		if dsn := os.Getenv(pgtest.EnvDSN); dsn != "" {
			pgDSN, pgErr = dsn, pgtest.Reach(context.Background(), dsn)
			if pgErr != nil {
				pgErr = fmt.Errorf("%s=%q is not reachable: %w", pgtest.EnvDSN, dsn, pgErr)
			}
			return
		}
		pgServer, pgErr = pgtest.Start(context.Background())
		if pgErr == nil {
			pgDSN = pgServer.DSN
		}
	})
	return pgDSN, pgErr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pgServer != nil {
		pgServer.Stop()
	}
	os.Exit(code)
}
