// Package acs is the `acs` role: a TR-069 Annex G / TR-111 management
// server for seed 000 (set-top boxes managed behind NAT).
//
//   - CWMP on http_port (7547): the ACS URL is http://<acs>:7547/ (also
//     /cwmp). Real TR-069 Amendment 6 sessions through the pure codec
//     devices/acs/cwmp (SOAP 1.1, cwmp-1-0 … 1-4, cwmp:ID echoed, a session
//     cookie, empty POST, 204 to end): the CPE's Inform registers it (device
//     id = DeviceId/SerialNumber; Device. or InternetGatewayDevice. root,
//     taken from its parameter names) and reports ConnectionRequestURL and
//     UDPConnectionRequestAddress: NAT is detected when that local address
//     differs from the observed source. "0 BOOTSTRAP"/"1 BOOT" count as a
//     boot, "M Reboot" with a command's key ends a reboot command, "4 VALUE
//     CHANGE" records the new address. On the empty POST the ACS sends a
//     SetParameterValues with the keepalive parameters (STUNEnable,
//     STUNServerAddress/Port, STUNUsername/Password, STUNMinimum/Maximum-
//     KeepAlivePeriod, ConnectionRequestUsername/Password; per device,
//     rotatable) whenever the ParameterKey the CPE reports is not the current
//     one, then the device's next command (get → GetParameterValues, set →
//     SetParameterValues, reboot → Reboot, download → Download of
//     GET /firmware/{name}, done at TransferComplete), then 204. A SOAP
//     Fault (9000–9019) fails the command with its code. Bad envelopes
//     (DTDs, wrong namespaces, oversized, out-of-session POSTs) get 400/413,
//     are counted and change nothing. The "NAT id" of seed 000 has no
//     standard leaf; the operator API shows the observed address instead.
//   - STUN entity on UDP stun_port (3478): RFC 3489 classic and RFC 5389
//     Binding Requests with CONNECTION-REQUEST-BINDING / BINDING-CHANGE,
//     validated by annexg.CheckKeepalive (401 challenge, 431/432); a valid
//     keepalive marks the device online and records its public binding; an
//     invalid one changes nothing and is counted. Datagrams are read and
//     answered in batches (recvmmsg/sendmmsg; BenchmarkKeepaliveUDP
//     measures keepalives/s over loopback against a UDP echo). Offline after
//     missed_periods periods of silence.
//   - Delivery: a signed UDP connection request (annexg.Build) sent
//     `copies` times FROM the STUN socket to the binding, so
//     address-and-port-dependent filtering NATs let it in; retried with
//     doubling backoff; command states queued, sent, fetched (the RPC went
//     out in a session), done, failed, expired (Queue).
//   - Authentication (auth.go): `auth: basic|digest` demands the CPE's
//     credentials on every CWMP POST (TR-069 §3.4.4; Digest per RFC 7616,
//     SHA-256 and MD5, qop=auth, nonce expiry, nc replay check, through
//     devices/httpauth), checked before anything is read or changed; the
//     password is CPEPassword(auth_secret, username) or auth_users'; the
//     username must be the Inform's device. Refusals are counted by reason.
//   - HTTPS (tls.go, pki.go; TR-069 §3.4): `tls: true` serves CWMP and the
//     operator API over TLS 1.2+ only, on http_port (conventionally 7548,
//     set it: the default stays 7547); the ACS URL becomes https://. The
//     certificate comes from a per-run CA made in memory (ECDSA P-256; the
//     server certificate names the ACS's addresses as IP SANs, since the ACS
//     URL's host is an address, and 127.0.0.1 for `boxlab acs --cacert`),
//     or from a vendor's cert_file/key_file/
//     ca_file. The CA is written to <OutDir>/<node>-ca.pem (acs-ca.pem for a
//     server named acs: what curl --cacert and an exec CPE agent trust) and
//     posted on Env.Truth (TLSTopic) for in-process CPEs. `client_cert:
//     request|require` verifies CPE certificates against the CA; devices get
//     theirs from the run's CA (PKI.Issue, CommonName = serial number), and
//     external clients <node>-client.pem/-client-key.pem; `cert_identity`
//     refuses (403, auth_fail reason cert_identity) an Inform whose
//     connection's certificate does not name the device. Failed handshakes
//     are logged and counted; Basic over plain HTTP (which TR-069 forbids)
//     still works but is flagged once (acs.auth_insecure).
//   - TCP connection requests (crtcp.go, TR-069 §3.2.2): a GET of the
//     ConnectionRequestURL answering the CPE's Digest challenge, for devices
//     not behind NAT (connection_request: auto) or all (tcp).
//   - `attacker:` adds an on-path attacker that can spoof the STUN source:
//     forged and replayed keepalives and connection requests, over TCP too
//     (a guessed password, a replayed Authorization).
//
// Events: acs.boot (nat_detected, bootstrap, root), acs.session (events),
// acs.params_delivered, acs.params_refused, acs.value_change,
// acs.reboot_acknowledged, acs.transfer_complete, acs.firmware_served,
// acs.cwmp_id_mismatch, acs.keepalive, acs.keepalive_rejected
// (reason, code), acs.keepalive_retransmitted, acs.keepalive_too_frequent,
// acs.binding_changed, acs.binding_hijacked (a binding moved to the
// built-in attacker: a test oracle), acs.online (after: time from boot to online),
// acs.offline (silence), acs.command_queued, acs.cr_sent (attempt),
// acs.command_fetched (after), acs.command_done (latency),
// acs.rtt_<home group> (latency, per home group, e.g. one per NAT profile),
// acs.command_failed, acs.command_expired, acs.undelivered_<home group>
// (a failed or expired command), acs.session, acs.attack_sent, acs.bad_request,
// acs.stats, acs.auth_challenge (reason: missing, stale), acs.auth_fail
// (reason: bad_digest, bad_password, replay, unknown_user, malformed,
// identity), acs.auth_stats (at the end: auth_fail, auth_fail_<reason>),
// acs.cr_sent (transport udp or tcp), acs.tcp_cr_answered,
// acs.tcp_cr_refused (status), acs.tcp_cr_error, acs.attack_refused and
// acs.attack_accepted (status of the attacker's TCP requests: an oracle),
// acs.tls (ca, client_cert), acs.tls_error (a failed TLS handshake; the
// count is tls_fail in acs.auth_stats and acs.stats), acs.http_error,
// acs.auth_insecure (Basic without TLS, once).
//
// Not done: certificate revocation (CRL/OCSP) and renewal, device identity
// from a certificate's subjectAltName or serialNumber attribute (only the
// CommonName is checked), TLS on TCP connection requests (the CPE's
// ConnectionRequestURL stays http://), XMPP connection requests, the CWMP
// RPCs beyond those above (AddObject, SetParameterAttributes, …: a CPE request of them
// gets ACS fault 8000), persistent storage (PostgreSQL), message integrity on
// STUN responses. The operator API's CLI front end is `boxlab acs`
// (cmd/boxlab/acs.go).
package acs
