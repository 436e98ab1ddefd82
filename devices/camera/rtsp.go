package camera

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// RTSPResponse is one parsed RTSP/1.0 response (RFC 2326 §7): the status,
// the headers by lower-case name, and the body Content-Length delimits.
type RTSPResponse struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// Header returns a header value by name, case-insensitively.
func (r RTSPResponse) Header(name string) string { return r.Headers[strings.ToLower(name)] }

// Errors of ParseRTSPResponse.
var (
	ErrRTSPShort = errors.New("rtsp: incomplete response")
	ErrRTSP      = errors.New("rtsp: malformed response")
)

// maxRTSP bounds one response (head and body).
const maxRTSP = 16 << 10

// ParseRTSPResponse parses the first response of a byte stream and returns
// how many bytes it took. ErrRTSPShort means more bytes are needed; any other
// error means the stream is not RTSP/1.0 responses.
func ParseRTSPResponse(b []byte) (RTSPResponse, int, error) {
	if p := []byte("RTSP/1.0 "); !bytes.HasPrefix(b, p[:min(len(b), len(p))]) {
		return RTSPResponse{}, 0, fmt.Errorf("%w: does not start with RTSP/1.0", ErrRTSP)
	}
	head, _, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		if len(b) > maxRTSP {
			return RTSPResponse{}, 0, fmt.Errorf("%w: no end of headers in %d bytes", ErrRTSP, len(b))
		}
		return RTSPResponse{}, 0, ErrRTSPShort
	}
	lines := strings.Split(string(head), "\r\n")
	f := strings.SplitN(lines[0], " ", 3)
	if len(f) < 2 {
		return RTSPResponse{}, 0, fmt.Errorf("%w: status line %q", ErrRTSP, lines[0])
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 599 {
		return RTSPResponse{}, 0, fmt.Errorf("%w: status line %q", ErrRTSP, lines[0])
	}
	r := RTSPResponse{Status: code, Headers: map[string]string{}}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return RTSPResponse{}, 0, fmt.Errorf("%w: header line %q", ErrRTSP, l)
		}
		r.Headers[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	n := len(head) + 4
	if cl := r.Header("content-length"); cl != "" {
		size, err := strconv.Atoi(cl)
		if err != nil || size < 0 || n+size > maxRTSP {
			return RTSPResponse{}, 0, fmt.Errorf("%w: content-length %q", ErrRTSP, cl)
		}
		if len(b) < n+size {
			return RTSPResponse{}, 0, ErrRTSPShort
		}
		r.Body = append([]byte(nil), b[n:n+size]...)
		n += size
	}
	return r, n, nil
}
