package platform

import (
	"errors"
	"fmt"
	"strings"

	"github.com/boxlab/boxlab/devices/camera"
)

// dialogue is what the platform says over a TCP connection it completed for
// a camera (seed 002 S7 variant) and how it reads the camera's answer; one
// per attempt, by camera type.
type dialogue interface {
	// request is the platform's first segment after the handshake.
	request() []byte
	// feed takes the camera's next in-order bytes and returns the events
	// they complete, whether the camera is now connected and whether
	// nothing more is awaited.
	feed(b []byte) (events []string, connected, done bool)
}

// keeper is a dialogue whose session stays open after it connected and is
// kept alive by the platform (a BXSDK session).
type keeper interface {
	// keepalive is the next keepalive message of the session.
	keepalive() []byte
}

// maxAnswer bounds what a dialogue buffers from a camera.
const maxAnswer = 32 << 10

// newDialogue is the dialogue for a camera of type typ at cam.
func (s *Server) newDialogue(typ, cam string) dialogue {
	if typ == TypeSDK {
		return &sdkDialogue{user: s.Options.SDKUser, password: s.Options.SDKPassword}
	}
	return &rtspDialogue{cam: cam}
}

// rtspDialogue pipelines an RTSP OPTIONS and a DESCRIBE (RFC 2326 §10.1,
// §10.2): the camera is connected on a 200 to OPTIONS; the DESCRIBE must
// come back 200 with an SDP body.
type rtspDialogue struct {
	cam  string
	buf  []byte
	seen int
}

func (d *rtspDialogue) request() []byte {
	return fmt.Appendf(nil, "OPTIONS rtsp://%s/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: boxlab-platform\r\n\r\n"+
		"DESCRIBE rtsp://%s/ RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\nUser-Agent: boxlab-platform\r\n\r\n", d.cam, d.cam)
}

func (d *rtspDialogue) feed(b []byte) (events []string, connected, done bool) {
	d.buf = append(d.buf, b...)
	for d.seen < 2 {
		r, n, err := camera.ParseRTSPResponse(d.buf)
		if errors.Is(err, camera.ErrRTSPShort) && len(d.buf) <= maxAnswer {
			return events, connected, false
		}
		if err != nil {
			return append(events, "platform.bad_rtsp"), connected, true
		}
		d.buf, d.seen = d.buf[n:], d.seen+1
		switch {
		case d.seen == 1 && r.Status == 200 && r.Header("cseq") == "1":
			events, connected = append(events, "platform.rtsp_ok"), true
		case d.seen == 1:
			events = append(events, "platform.rtsp_refused")
		case r.Status == 200 && r.Header("cseq") == "2" && strings.HasPrefix(r.Header("content-type"), "application/sdp") && strings.HasPrefix(string(r.Body), "v=0"):
			events = append(events, "platform.rtsp_describe_ok")
		default:
			events = append(events, "platform.rtsp_describe_failed")
		}
	}
	return events, connected, true
}

// sdkDialogue logs in on the camera's BXSDK/1 port (camera/sdk.go): the
// camera is connected on login ok, and the session stays open with
// keepalives, each acknowledged by the camera.
type sdkDialogue struct {
	user, password string
	buf            []byte
	session        uint32 // from login ok; 0 before
	seq            uint16 // of the last frame sent
}

func (d *sdkDialogue) request() []byte {
	d.seq = 1
	b, err := camera.SDKFrame{Type: camera.SDKLogin, Seq: 1, User: d.user, Password: d.password}.Marshal()
	if err != nil { // options are checked: user and password fit
		panic(err)
	}
	return b
}

func (d *sdkDialogue) keepalive() []byte {
	d.seq++
	b, _ := camera.SDKFrame{Type: camera.SDKKeepalive, Seq: d.seq, Session: d.session}.Marshal()
	return b
}

// feed reads the camera's frames: login ok (connected, the session stays
// open), login denied (done), then keepalive acks of the session.
func (d *sdkDialogue) feed(b []byte) (events []string, connected, done bool) {
	d.buf = append(d.buf, b...)
	for {
		f, n, err := camera.ParseSDK(d.buf)
		switch {
		case errors.Is(err, camera.ErrSDKShort) && len(d.buf) <= maxAnswer:
			return events, d.session != 0, false
		case err != nil:
			return append(events, "platform.bad_sdk"), d.session != 0, true
		}
		d.buf = d.buf[n:]
		switch {
		case d.session == 0 && f.Type == camera.SDKLoginOK && f.Seq == 1 && f.Session != 0:
			d.session, d.seq = f.Session, 1
			events = append(events, "platform.sdk_login_ok")
		case d.session == 0 && f.Type == camera.SDKLoginDenied && f.Seq == 1:
			return append(events, "platform.sdk_login_denied"), false, true
		case d.session != 0 && f.Type == camera.SDKKeepaliveAck && f.Session == d.session:
			events = append(events, "platform.sdk_keepalive_ok")
		default:
			return append(events, "platform.bad_sdk"), d.session != 0, true
		}
	}
}
