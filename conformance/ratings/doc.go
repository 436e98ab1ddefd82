// Package ratings is the seed 004 conformance suite (tests only): the
// shipped ratings scenarios through the runner, the same with the store in
// a real PostgreSQL server (started for the spec, torn down after) and a
// server restart mid-run, curl --digest as a real RFC 7616 peer of the
// ratings server, the control channel (method B polls and subscription
// sync through a NAT) and the ratings page and JSON API fetched with curl.
//
// Programs under test run as exec nodes (boxlab's own roles through
// `boxlab device ROLE` by default, built by the suite):
//
// A ratings server under test (BOXLAB_RATINGS_UNDER_TEST, a shell command
// run by /bin/sh -c in the server node's namespace) is checked rule by
// rule (one spec each; a PASS/FAIL table per rule goes to the spec output
// and the JUnit report): Digest challenges, SHA-256 and MD5, a wrong password, nc
// replay, stale nonces (expected to expire within
// BOXLAB_RATINGS_STALE_AFTER, default 3s of real time), malformed XML, an
// entity bomb, an oversized body, idempotent retries and a User_ID that is
// not the authenticated user; then our viewers watch it for 4 simulated
// minutes and ratings-judge compares its records and its own ratings with
// their ground truth. Its contract: HTTP on port 8080 with POST /report
// (the seed's LogReport XML, HTTP Digest, qop=auth, SHA-256 and/or MD5,
// any realm; users are the viewers' names, each with the password
// ratings.DerivePassword(secret, user), the secret in
// BOXLAB_RATINGS_SECRET), GET /guide (ratings.Guide JSON), boxlab's
// content stream on the guide's stream_port (devices/ratings/stream.go: the
// server-stamped frames give every viewing its start and end; STOP <ms>
// ends it at the last frame the viewer received), GET
// /viewings (its records, see ratings.ParseViewings) and optionally GET
// /ratings (audience.Report); the control channel is optional (a
// control_port of 0 in the guide). The exec environment also gives it
// BOXLAB_NODE, BOXLAB_ADDR and BOXLAB_SPEED (simulated seconds per real
// second: its clock for nonce lifetimes and timestamps).
//
// A viewer terminal under test (BOXLAB_VIEWER_UNDER_TEST, run in three
// homes behind NATs; its user name is BOXLAB_NODE, its password
// ratings.DerivePassword(BOXLAB_RATINGS_SECRET, user), the server at
// BOXLAB_SERVER_RATINGS, port 8080) watches our ratings server, which
// checks from its journal: control-channel authentication, Digest
// authentication, every LogReport parsed and consistent with its content
// session, LogInInfo only after the minimum viewing time, every viewing
// logged out when the terminal is stopped (SIGTERM), and poll answers that
// agree with its reports.
package ratings
