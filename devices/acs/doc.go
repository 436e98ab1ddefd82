// Package acs is the `acs` role: a TR-069 Annex G / TR-111 management
// server for seed 000 (set-top boxes managed behind NAT).
//
//   - HTTP on http_port (7547): POST /cwmp/boot (an STB reports its id and
//     local connection-request address; the ACS detects NAT when that
//     differs from the source it sees and answers with keepalive
//     parameters: STUN server and port, NAT id, min/max period, STUN and
//     connection-request credentials, per device and rotatable),
//     POST /cwmp/session (the STB fetches its next command),
//     POST /cwmp/result (the STB reports the outcome). These JSON messages
//     stand in for the CWMP SOAP session (Inform / RPC / TransferComplete).
//   - Operator API on the same port: POST /api/commands ({kind, param,
//     value, devices | select: all|online}), GET /api/commands,
//     GET /api/devices, POST /api/devices/{id}/rotate. The `commands:`
//     option is a built-in operator that queues a command every period.
//   - STUN entity on UDP stun_port (3478): RFC 3489 classic and RFC 5389
//     Binding Requests with CONNECTION-REQUEST-BINDING / BINDING-CHANGE,
//     validated by annexg.CheckKeepalive (401 challenge, 431/432); a valid
//     keepalive marks the device online and records its public binding; an
//     invalid one changes nothing and is counted. Offline after
//     missed_periods periods of silence.
//   - Delivery: a signed UDP connection request (annexg.Build) sent
//     `copies` times FROM the STUN socket to the binding, so
//     address-and-port-dependent filtering NATs let it in; retried with
//     doubling backoff; command states queued, sent, fetched, done,
//     failed, expired (Queue).
//   - `attacker:` adds an on-path attacker that can spoof the STUN source:
//     forged and replayed keepalives and connection requests.
//
// Events: acs.boot (nat_detected), acs.keepalive, acs.keepalive_rejected
// (reason, code), acs.keepalive_retransmitted, acs.keepalive_too_frequent,
// acs.binding_changed, acs.binding_hijacked (a binding moved to the
// built-in attacker: a test oracle), acs.online (after: time from boot to online),
// acs.offline (silence), acs.command_queued, acs.cr_sent (attempt),
// acs.command_fetched (after), acs.command_done (latency),
// acs.rtt_<home group> (latency, per home group, e.g. one per NAT profile),
// acs.command_failed, acs.command_expired, acs.undelivered_<home group>
// (a failed or expired command), acs.session, acs.attack_sent, acs.bad_request,
// acs.stats.
//
// Not done: HTTPS and HTTP authentication of the CWMP session, SOAP,
// persistent storage (PostgreSQL), message integrity on STUN responses,
// the boxlab CLI front end of the operator API.
package acs
