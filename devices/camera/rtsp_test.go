package camera

import (
	"errors"
	"testing"
)

func TestParseRTSPResponse(t *testing.T) {
	two := "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n" +
		"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"
	r, n, err := ParseRTSPResponse([]byte(two))
	if err != nil || r.Status != 200 || r.Header("cseq") != "1" || r.Header("Public") != "OPTIONS, DESCRIBE" {
		t.Fatalf("RFC 2326 §10.1 OPTIONS answer: %+v %v", r, err)
	}
	r, m, err := ParseRTSPResponse([]byte(two[n:]))
	if err != nil || r.Header("cseq") != "2" || string(r.Body) != "v=0\r\n" || n+m != len(two) {
		t.Fatalf("RFC 2326 §10.2 DESCRIBE answer with an SDP body: %+v %v", r, err)
	}
	for i := range len(two[n:]) - 1 {
		if _, _, err := ParseRTSPResponse([]byte(two[n : n+i])); !errors.Is(err, ErrRTSPShort) {
			t.Fatalf("a prefix of %d bytes: got %v, want ErrRTSPShort", i, err)
		}
	}
	for _, bad := range []string{"HTTP/1.1 200 OK\r\n\r\n", "RTSP/1.0 abc OK\r\n\r\n", "RTSP/1.0 200 OK\r\nno colon\r\n\r\n",
		"RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n", "RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n", "RTSP/1.0 99 OK\r\n\r\n"} {
		if _, _, err := ParseRTSPResponse([]byte(bad)); !errors.Is(err, ErrRTSP) {
			t.Errorf("%q: got %v, want ErrRTSP", bad, err)
		}
	}
}

func FuzzParseRTSPResponse(f *testing.F) {
	f.Add([]byte("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 5\r\n\r\nv=0\r\n"))
	f.Add([]byte("RTSP/1.0 401 Unauthorized\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := ParseRTSPResponse(b)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) || r.Status < 100 || r.Status > 599 {
			t.Fatalf("took %d of %d bytes, status %d", n, len(b), r.Status)
		}
	})
}
