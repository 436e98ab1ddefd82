package camera

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SIP is a parsed SIP-style message: a request (Method, URI) or a response
// (Status), its headers by canonical lower-case name, and its body.
type SIP struct {
	Method  string // request method; "" for a response
	URI     string
	Status  int // response status; 0 for a request
	Reason  string
	Headers map[string]string
	Body    []byte
}

// ErrNotSIP is returned for anything that is not a SIP/2.0 message.
var ErrNotSIP = errors.New("not a SIP/2.0 message")

// maxSIP bounds a message (one UDP datagram of signalling).
const maxSIP = 4096

// ParseSIP parses a SIP/2.0 request or response.
func ParseSIP(b []byte) (SIP, error) {
	if len(b) > maxSIP {
		return SIP{}, fmt.Errorf("%w: %d bytes, want <= %d", ErrNotSIP, len(b), maxSIP)
	}
	head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		return SIP{}, fmt.Errorf("%w: no blank line after the headers", ErrNotSIP)
	}
	lines := strings.Split(string(head), "\r\n")
	var m SIP
	f := strings.SplitN(lines[0], " ", 3)
	switch {
	case len(f) == 3 && f[0] == "SIP/2.0":
		var code int
		if _, err := fmt.Sscanf(f[1], "%d", &code); err != nil || code < 100 || code > 699 {
			return SIP{}, fmt.Errorf("%w: status %q", ErrNotSIP, f[1])
		}
		m.Status, m.Reason = code, f[2]
	case len(f) == 3 && f[2] == "SIP/2.0" && f[0] != "" && strings.ToUpper(f[0]) == f[0]:
		m.Method, m.URI = f[0], f[1]
	default:
		return SIP{}, fmt.Errorf("%w: start line %q", ErrNotSIP, lines[0])
	}
	m.Headers = map[string]string{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return SIP{}, fmt.Errorf("%w: header line %q", ErrNotSIP, l)
		}
		m.Headers[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	m.Body = body
	return m, nil
}

// Header returns a header value by name, case-insensitively.
func (m SIP) Header(name string) string { return m.Headers[strings.ToLower(name)] }

// SIPRequest formats a request with the headers every SIP request carries
// (RFC 3261 §8.1.1: To, From with a tag, CSeq, Call-ID, Max-Forwards, Via),
// so a real SIP stack answers it; From names the host of the Via's sent-by.
func SIPRequest(method, uri, via, callID string, cseq int, body string) []byte {
	host := "invalid"
	if f := strings.Fields(via); len(f) > 1 {
		host, _, _ = strings.Cut(f[1], ";")
		host, _, _ = strings.Cut(host, ":")
	}
	return fmt.Appendf(nil, "%s %s SIP/2.0\r\nVia: %s\r\nFrom: <sip:platform@%s>;tag=%s\r\nTo: <%s>\r\nCall-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\nContent-Length: %d\r\n\r\n%s",
		method, uri, via, host, callID, uri, callID, cseq, method, len(body), body)
}

// answer is the camera's 200 OK to a request received from src: the Via gets
// received= and, if asked for and honoured, rport= (RFC 3581).
func answer(req SIP, src string, node string, rport bool) []byte {
	host, port, _ := strings.Cut(src, ":")
	via := req.Header("via")
	if rport && strings.Contains(via, ";rport") {
		via = strings.Replace(via, ";rport", ";rport="+port, 1)
	}
	via += ";received=" + host
	to := req.Header("to")
	if to != "" && !strings.Contains(to, ";tag=") {
		to += ";tag=" + node
	}
	return fmt.Appendf(nil, "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\nServer: boxlab-camera %s\r\nContent-Length: 0\r\n\r\n",
		via, req.Header("from"), to, req.Header("call-id"), req.Header("cseq"), node)
}

// replyTo is where the answer to a request from src goes over UDP. A camera
// that honours rport (RFC 3581 §4) answers to the source IP and port when
// the Via asks for it; otherwise, as RFC 3261 §18.2.2 says, to the source IP
// (the received address) and the port of the Via's sent-by (5060 if absent).
// Only the first behaviour reaches a platform through a NAT.
func replyTo(req SIP, src netip.AddrPort, rport bool) netip.AddrPort {
	via := req.Header("via")
	if rport && strings.Contains(via, ";rport") {
		return src
	}
	port := uint16(5060)
	if f := strings.Fields(via); len(f) > 1 {
		sentBy, _, _ := strings.Cut(f[1], ";")
		if _, p, ok := strings.Cut(sentBy, ":"); ok {
			if n, err := strconv.ParseUint(p, 10, 16); err == nil && n > 0 {
				port = uint16(n)
			}
		}
	}
	return netip.AddrPortFrom(src.Addr(), port)
}
