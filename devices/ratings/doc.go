// Package ratings is the audience-ratings server of seed 004 (role
// ratings-server) and the wire formats it shares with the viewers in
// devices/stb: the LogReport XML message (LogInInfo / LogOutInfo, each value
// in an <Element>_Type attribute), the service guide JSON and the line-based
// content stream whose server-stamped frames give every viewing its
// StartTime and EndTime (seed 004 §6: the server's timestamps of the first
// and last frame, never the terminal's clock).
//
// The server authenticates reports with HTTP Digest (package digest),
// stores sessions and viewing records in SQLite (modernc.org/sqlite, WAL,
// synchronous=FULL, under the run's output folder, so a crash loses no
// acknowledged record), answers retries idempotently and serves ratings
// computed by package audience as JSON. At the end of a run (Finish) it
// compares its ratings with the ground truth the viewers recorded in
// Env.Truth and emits ratings.summary, ratings.compare and
// ratings.forged_counted events for assertions.
//
// It does not do: method B (server polls "are you watching X?"),
// subscriptions, push notifications, interactive programmes, PostgreSQL or
// an HTML ratings page. Rating windows (method A) are computed from the
// records by overlap; terminals do not send extra reports at window edges.
package ratings
