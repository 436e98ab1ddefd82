// Package pgtest starts a throwaway PostgreSQL server for tests of the
// ratings store and the end-to-end ratings suite: initdb and postgres (the
// Debian postgresql package's binaries) run as the postgres user in a
// temporary folder, listening only on a unix socket in that folder (no
// TCP port; a unix socket path is reachable from every network namespace),
// and everything is removed by Stop. Reach, for tests that take a DSN from
// the environment, checks that a server answers.
//
// It is test tooling, not part of the product path. It does not manage
// long-lived clusters, users or passwords (the throwaway cluster trusts
// local connections), and it runs the server with fsync off: the tests it
// serves restart the ratings server, never the database machine.
package pgtest
