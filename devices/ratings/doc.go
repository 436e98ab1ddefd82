// Package ratings is the audience-ratings server of seed 004 (role
// ratings-server) and the wire formats it shares with the viewers in
// devices/stb: the LogReport XML message (LogInInfo / LogOutInfo, each value
// in an <Element>_Type attribute), the service guide JSON, the line-based
// content stream whose server-stamped frames give every viewing its
// StartTime and EndTime (seed 004 §6: the server's timestamps of the first
// and last frame, never the terminal's clock), and the control channel
// (control.go) that online terminals keep open.
//
// The server authenticates reports with HTTP Digest (package digest) and
// stores sessions, viewing records and subscriptions in SQLite
// (modernc.org/sqlite, WAL, under the run's output folder) or, when the
// dsn option is given, in PostgreSQL (jackc/pgx, one schema per server
// node; store_postgres.go), with the same tables and statements. Every
// write goes through one committer goroutine with group commit (store.go):
// a report is acknowledged only after the transaction holding it
// committed. With sync full (the default) the WAL is fsynced at each
// commit, so an acknowledged record survives a crash and a power loss;
// with sync normal it survives a crash of the server process only. Retries
// are answered idempotently (ON CONFLICT DO NOTHING and updates guarded by
// IS NULL, on both databases).
//
// Over the control channel (authenticated by an HMAC of the password and a
// server nonce) the server marks terminals online, polls them "are you
// watching?" (method B, seed §7; a census or a sampled share), keeps
// subscriptions in sync both ways (seed §1), pushes guide changes, and runs
// interaction items for the viewers of each channel (seed §8: those whose
// LogInInfo opened a viewing), tallying votes and pushing results. Ratings
// (package audience) are served as JSON at /ratings and as a self-contained
// HTML page at /ratings.html.
//
// At the end of a run (Finish) it compares its ratings with the ground
// truth the viewers recorded in Env.Truth, its poll answers with its
// records (PollFigure) and its interactive tallies with the votes the
// viewers sent; compare.go lists the events.
//
// Operators read and change a subscriber's subscriptions over HTTP
// (operator.go, Digest as user operator); the terminal's list follows at
// once over its control channel. Each control channel is rate limited
// (budget.go: lines past the budget are dropped and counted).
//
// It does not do: persistence of polls and
// interaction items across a restart (they live in memory; a restarted
// server starts new ones); extra reports at rating-window edges (windows,
// method A, are computed from the records by overlap).
package ratings
