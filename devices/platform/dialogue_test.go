package platform

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/boxlab/boxlab/devices/camera"
)

// feedBytewise feeds a dialogue one byte at a time, as the worst TCP
// segmentation would, and collects what it reports.
func feedBytewise(d dialogue, answer []byte) (events []string, connected, done bool) {
	for i := range answer {
		ev, c, dn := d.feed(answer[i : i+1])
		events, connected, done = append(events, ev...), connected || c, dn
		if dn {
			break
		}
	}
	return events, connected, done
}

func TestRTSPDialogue(t *testing.T) {
	sdp := "v=0\r\ns=cam\r\n"
	for _, tc := range []struct {
		name, answer string
		events       []string
		connected    bool
	}{
		{"RFC 2326 §10.1/§10.2: OPTIONS and DESCRIBE answered", "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n" +
			"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: " + itoa(len(sdp)) + "\r\n\r\n" + sdp,
			[]string{"platform.rtsp_ok", "platform.rtsp_describe_ok"}, true},
		{"DESCRIBE needs credentials", "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\nRTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n\r\n",
			[]string{"platform.rtsp_ok", "platform.rtsp_describe_failed"}, true},
		{"OPTIONS refused", "RTSP/1.0 404 Not Found\r\nCSeq: 1\r\n\r\nRTSP/1.0 404 Not Found\r\nCSeq: 2\r\n\r\n",
			[]string{"platform.rtsp_refused", "platform.rtsp_describe_failed"}, false},
		{"not RTSP", "HTTP/1.1 400 Bad Request\r\n\r\n", []string{"platform.bad_rtsp"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &rtspDialogue{cam: "192.168.1.100:554"}
			if req := string(d.request()); !strings.HasPrefix(req, "OPTIONS rtsp://192.168.1.100:554/ RTSP/1.0\r\nCSeq: 1\r\n") || !strings.Contains(req, "DESCRIBE rtsp://192.168.1.100:554/ RTSP/1.0\r\nCSeq: 2\r\n") {
				t.Fatalf("request %q", req)
			}
			events, connected, done := feedBytewise(d, []byte(tc.answer))
			if !done || connected != tc.connected || !reflect.DeepEqual(events, tc.events) {
				t.Fatalf("got %v connected=%v done=%v, want %v connected=%v", events, connected, done, tc.events, tc.connected)
			}
		})
	}
}

func TestSDKDialogue(t *testing.T) {
	d := &sdkDialogue{user: "admin", password: "pw"}
	login, _, err := camera.ParseSDK(d.request())
	if err != nil || login.Type != camera.SDKLogin || login.User != "admin" || login.Password != "pw" || login.Seq != 1 {
		t.Fatalf("BXSDK/1 login: %+v %v", login, err)
	}
	mk := func(f camera.SDKFrame) []byte { b, _ := f.Marshal(); return b }
	ok := mk(camera.SDKFrame{Type: camera.SDKLoginOK, Seq: 1, Session: 5, Serial: "cam"})
	denied := mk(camera.SDKFrame{Type: camera.SDKLoginDenied, Seq: 1, Reason: camera.SDKBadCredentials})
	for _, tc := range []struct {
		name            string
		answer          []byte
		events          []string
		connected, done bool
	}{
		{"BXSDK/1: login ok connects and keeps the session open", ok, []string{"platform.sdk_login_ok"}, true, false},
		{"BXSDK/1: login denied ends it", denied, []string{"platform.sdk_login_denied"}, false, true},
		{"bad input: not BXSDK", []byte("RTSP/1.0 200 OK\r\n\r\n"), []string{"platform.bad_sdk"}, false, true},
		{"bad input: a keepalive ack before any session", mk(camera.SDKFrame{Type: camera.SDKKeepaliveAck, Seq: 1, Session: 5}), []string{"platform.bad_sdk"}, false, true},
	} {
		events, connected, done := feedBytewise(&sdkDialogue{user: "admin", password: "pw"}, tc.answer)
		if done != tc.done || connected != tc.connected || !reflect.DeepEqual(events, tc.events) {
			t.Errorf("%s: got %v connected=%v done=%v, want %v connected=%v done=%v", tc.name, events, connected, done, tc.events, tc.connected, tc.done)
		}
	}

	d = &sdkDialogue{user: "admin", password: "pw"}
	d.request()
	d.feed(ok)
	ka, _, err := camera.ParseSDK(d.keepalive())
	if err != nil || ka.Type != camera.SDKKeepalive || ka.Session != 5 || ka.Seq != 2 {
		t.Fatalf("BXSDK/1 keepalive on the session: %+v %v", ka, err)
	}
	events, connected, done := d.feed(mk(camera.SDKFrame{Type: camera.SDKKeepaliveAck, Seq: 2, Session: 5}))
	if !reflect.DeepEqual(events, []string{"platform.sdk_keepalive_ok"}) || !connected || done {
		t.Fatalf("keepalive ack: %v connected=%v done=%v", events, connected, done)
	}
	events, _, done = d.feed(mk(camera.SDKFrame{Type: camera.SDKKeepaliveAck, Seq: 3, Session: 6}))
	if !reflect.DeepEqual(events, []string{"platform.bad_sdk"}) || !done {
		t.Fatalf("an ack of another session: %v done=%v", events, done)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestAcked(t *testing.T) {
	a := &tcpAttempt{una: 0xfffffff0, out: make([]byte, 40)} // the window wraps around 2^32
	for _, tc := range []struct {
		ack      uint32
		una      uint32
		pending  int
		scenario string
	}{
		{0xffffffe0, 0xfffffff0, 40, "an old ack changes nothing"},
		{0xfffffff8, 0xfffffff8, 32, "part acknowledged"},
		{0x00000008, 0x00000008, 16, "across the wrap"},
		{0x00000100, 0x00000008, 16, "beyond what was sent: ignored"},
		{0x00000018, 0x00000018, 0, "everything"},
	} {
		a.acked(tc.ack)
		if a.una != tc.una || len(a.out) != tc.pending {
			t.Fatalf("%s: una %#x pending %d, want %#x %d", tc.scenario, a.una, len(a.out), tc.una, tc.pending)
		}
	}
}

// FuzzDialogues feeds arbitrary camera bytes, in two segments, to both
// dialogues: bad input ends the dialogue with an event, never a panic.
func FuzzDialogues(f *testing.F) {
	f.Add([]byte("RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\nRTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 3\r\n\r\nv=0"), 10)
	ok, _ := camera.SDKFrame{Type: camera.SDKLoginOK, Seq: 1, Session: 5, Serial: "cam"}.Marshal()
	f.Add(ok, 3)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		cut = min(max(cut, 0), len(b))
		for _, d := range []dialogue{&rtspDialogue{cam: "192.168.1.100:554"}, &sdkDialogue{user: "admin", password: "admin"}} {
			d.request()
			_, _, done := d.feed(b[:cut])
			if !done {
				d.feed(b[cut:])
			}
		}
	})
}
