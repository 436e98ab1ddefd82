package camera

import (
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/boxlab/boxlab/devices"
)

// sdkSession is the state of one BXSDK connection: the session its login
// opened (0 before a login succeeded).
type sdkSession struct {
	session uint32
}

// serveSDKConn speaks BXSDK/1 (sdk.go) on one connection: a login with the
// camera's credentials opens a session, keepalives on it are acknowledged; a
// wrong login is denied and closes the connection, and so does a malformed
// frame (counted as camera.bad_sdk).
func (c *Camera) serveSDKConn(env *devices.Env, conn net.Conn) {
	var st sdkSession
	buf := make([]byte, 0, 2*(SDKHeaderLen+SDKMaxBody))
	chunk := make([]byte, SDKHeaderLen+SDKMaxBody)
	from := conn.RemoteAddr().String()
	for {
		f, n, err := ParseSDK(buf)
		if errors.Is(err, ErrSDKShort) {
			conn.SetReadDeadline(time.Now().Add(time.Minute))
			m, err := conn.Read(chunk)
			if err != nil {
				return
			}
			buf = append(buf, chunk[:m]...)
			continue
		}
		if err != nil {
			env.Log.Info("camera.bad_sdk", "from", from, "err", err.Error())
			return
		}
		buf = buf[:copy(buf, buf[n:])]
		answer, keep := c.sdkAnswer(env, &st, f, from)
		b, err := answer.Marshal()
		if err != nil {
			return
		}
		if _, err := conn.Write(b); err != nil || !keep {
			return
		}
	}
}

// sdkAnswer is the camera's answer to one frame and whether the connection
// stays open.
func (c *Camera) sdkAnswer(env *devices.Env, st *sdkSession, f SDKFrame, from string) (SDKFrame, bool) {
	switch f.Type {
	case SDKLogin:
		if f.User != c.Options.SDKUser || f.Password != c.Options.SDKPassword {
			env.Log.Info("camera.sdk_denied", "from", from, "user", f.User)
			return SDKFrame{Type: SDKLoginDenied, Seq: f.Seq, Reason: SDKBadCredentials}, false
		}
		st.session = rand.Uint32() | 1 // connections run concurrently: not env.Rand
		env.Log.Info("camera.sdk_login", "from", from)
		env.Log.Info("camera.sdk_login_" + devices.Group(env.Node))
		return SDKFrame{Type: SDKLoginOK, Seq: f.Seq, Session: st.session, Serial: env.Node}, true
	case SDKKeepalive:
		if st.session == 0 || f.Session != st.session {
			env.Log.Info("camera.sdk_denied", "from", from, "reason", "no session")
			return SDKFrame{Type: SDKLoginDenied, Seq: f.Seq, Reason: SDKNoSession}, false
		}
		env.Log.Info("camera.sdk_keepalive", "from", from)
		return SDKFrame{Type: SDKKeepaliveAck, Seq: f.Seq, Session: st.session}, true
	}
	env.Log.Info("camera.bad_sdk", "from", from, "err", "a client frame was expected")
	return SDKFrame{Type: SDKLoginDenied, Seq: f.Seq, Reason: SDKMalformed}, false
}
