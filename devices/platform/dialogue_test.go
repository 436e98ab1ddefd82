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
	ok, _ := camera.SDKFrame{Type: camera.SDKLoginOK, Seq: 1, Session: 5, Serial: "cam"}.Marshal()
	denied, _ := camera.SDKFrame{Type: camera.SDKLoginDenied, Seq: 1, Reason: camera.SDKBadCredentials}.Marshal()
	for _, tc := range []struct {
		answer    []byte
		event     string
		connected bool
	}{{ok, "platform.sdk_login_ok", true}, {denied, "platform.sdk_login_denied", false}, {[]byte("RTSP/1.0 200 OK\r\n\r\n"), "platform.bad_sdk", false}} {
		events, connected, done := feedBytewise(&sdkDialogue{user: "admin", password: "pw"}, tc.answer)
		if !done || connected != tc.connected || !reflect.DeepEqual(events, []string{tc.event}) {
			t.Errorf("answer %x: got %v connected=%v done=%v, want %s", tc.answer, events, connected, done, tc.event)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
