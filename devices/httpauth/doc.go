// Package httpauth is the HTTP authentication a boxlab server demands and a
// boxlab client answers, above the Digest mechanics of package digest: a
// Guard checks one request's Authorization under a scheme chosen by option
// (none, Basic per RFC 7617, Digest per RFC 7616), a Client learns the
// challenges of a 401 and answers the strongest one it can (Digest SHA-256,
// then Digest MD5, then Basic), and ParseChallenges reads a
// WWW-Authenticate value that may list several challenges (RFC 7235 §4.1).
// The management server's CWMP endpoint, the STB's TCP connection-request
// listener and their clients use it (TR-069 §3.2.2, §3.4.4).
//
// It does not do TLS (TR-069 allows Basic only over TLS: a scenario that
// picks basic over plain HTTP is a lab setting, not a deployment), the
// Proxy-Authenticate family, or the schemes beyond Basic and Digest (Bearer,
// Negotiate, …), which ParseChallenges reads but a Client never picks.
package httpauth
