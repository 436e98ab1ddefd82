// Package stb holds the simulated set-top box roles. The viewer part (role
// viewer, files viewer*.go) is the seed 004 terminal: it fetches the
// ratings server's service guide, picks channels by Zipf popularity, zaps
// (dwells shorter than the minimum viewing time) and watches (longer
// dwells), reads the server's content stream (resuming it after a break),
// sends LogInInfo once it has watched the minimum time by the server's frame
// timestamps and LogOutInfo on leaving, answers Digest 401 challenges and
// retries failed reports with backoff. Every viewing that reached the
// minimum is posted as ground truth on Env.Truth for the server to compare
// at the end. With forge: true it also tries forged reports (wrong password,
// replayed nonce count, another user's name, a body for another user) that
// the server must refuse.
//
// It does not answer method-B polls, interaction items or subscription
// sync, and does not model sessions of several viewers on one box.
package stb
