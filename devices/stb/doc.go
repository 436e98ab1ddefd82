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
// The peer part (role peer, files peer*.go) is the seed 001 box: it
// registers with a rendezvous server, asks it for sessions with other boxes
// by device id, unwraps the session key, punches through the NATs and talks
// ChaCha20-Poly1305 with a replay window; peer.go documents its events.
// When punching fails within punch_timeout the peer falls back to the
// server's TURN relay (peer_relay.go; option relay, default on): it gets
// credentials for the session, allocates a relayed address with package
// relay's client, learns the peer's through the server, and runs the same
// session (key, sequence numbers, replay window) through the relay.
// Package rendezvous holds the server and the wire format. The peer does
// not try the direct path again once relayed, nor carry anything but pings
// and pongs on a session.
//
// While running, the viewer keeps the server's control channel open
// (viewer_control.go): it answers method-B polls with the viewing it is on
// (once that reached the minimum time, until it sends STOP), keeps its
// subscriptions in sync with the server's list (it changes one now and
// then, option subscribe), fetches the guide again when the server pushes a
// change, and votes on interaction items for the channel it watches,
// posting each vote on Env.Truth.
//
// The mapping part (role upnp-mapper, files mapper*.go) is the seed 003
// device side: it maps a port through the gateway with UPnP IGD, NAT-PMP or
// PCP (auto: the first the gateway speaks; "no UPnP" and the like are
// events), serves the mapping monitor's probes on it (UDP, or TCP accepts
// with probe: tcp), reports the mapping to a devices/mapmon server, renews
// at half the lifetime (and at once on a NAT-PMP/PCP announcement), maps
// again when the monitor says REMAP, and deletes its mapping when the run
// ends. With renew: false it never renews (a lease that runs out); moved
// on igd.client.mapped says the gateway granted another port than asked.
// It listens on 5350 for announcements only when NAT-PMP or PCP may be
// used.
//
// The viewer does not model sessions of several viewers on one box, nor
// answer interaction items for a channel it has left.
package stb
