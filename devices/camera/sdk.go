package camera

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// BXSDK/1 is the camera's vendor-SDK-like TCP port (default 8000): a small
// binary login protocol of boxlab's own, with the shape of camera SDK ports
// (a fixed binary header, a login that opens a session, keepalives on the
// session) and none of any vendor's bytes. One frame, all big-endian:
//
//	0  magic 'B' 'X' (2)
//	2  version 1 (1)
//	3  type (1): 1 login, 2 login ok, 3 login denied, 4 keepalive, 5 keepalive ack
//	4  sequence (2), echoed by the answer
//	6  body length (2), at most 255
//	8  body:
//	   login:          user length (1), user, password length (1), password
//	   login ok:       session (4), serial length (1), serial
//	   login denied:   reason (1): 1 bad credentials, 2 malformed, 3 no session
//	   keepalive, ack: session (4)
//
// A client opens the TCP connection (or, seed 002's TCP variant, completes a
// handshake a forged SYN started), sends a login and gets login ok with a
// session, or login denied and the connection closed. A malformed frame
// closes the connection: a byte stream cannot resynchronise.

// SDKType is the type of a BXSDK frame.
type SDKType uint8

// BXSDK frame types.
const (
	SDKLogin        SDKType = 1
	SDKLoginOK      SDKType = 2
	SDKLoginDenied  SDKType = 3
	SDKKeepalive    SDKType = 4
	SDKKeepaliveAck SDKType = 5
)

// Reasons of a login denied frame.
const (
	SDKBadCredentials byte = 1
	SDKMalformed      byte = 2
	SDKNoSession      byte = 3
)

// SDKHeaderLen is the fixed header of a frame; SDKMaxBody bounds its body.
const (
	SDKHeaderLen = 8
	SDKMaxBody   = 255
	sdkVersion   = 1
)

// SDKFrame is one decoded BXSDK frame; which fields count depends on Type.
type SDKFrame struct {
	Type     SDKType
	Seq      uint16
	User     string // login
	Password string // login
	Session  uint32 // login ok, keepalive, keepalive ack
	Serial   string // login ok
	Reason   byte   // login denied
}

// Errors of ParseSDK.
var (
	ErrSDKShort = errors.New("bxsdk: incomplete frame")
	ErrSDK      = errors.New("bxsdk: malformed frame")
)

// Marshal encodes the frame; it fails on what ParseSDK refuses.
func (f SDKFrame) Marshal() ([]byte, error) {
	var body []byte
	switch f.Type {
	case SDKLogin:
		if len(f.User) > 120 || len(f.Password) > 120 {
			return nil, fmt.Errorf("%w: user or password longer than 120 bytes", ErrSDK)
		}
		body = append(append(append(append(body, byte(len(f.User))), f.User...), byte(len(f.Password))), f.Password...)
	case SDKLoginOK:
		if len(f.Serial) > 120 {
			return nil, fmt.Errorf("%w: serial longer than 120 bytes", ErrSDK)
		}
		body = binary.BigEndian.AppendUint32(body, f.Session)
		body = append(append(body, byte(len(f.Serial))), f.Serial...)
	case SDKLoginDenied:
		body = []byte{f.Reason}
	case SDKKeepalive, SDKKeepaliveAck:
		body = binary.BigEndian.AppendUint32(body, f.Session)
	default:
		return nil, fmt.Errorf("%w: type %d", ErrSDK, f.Type)
	}
	b := []byte{'B', 'X', sdkVersion, byte(f.Type)}
	b = binary.BigEndian.AppendUint16(b, f.Seq)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...), nil
}

// ParseSDK decodes the first frame of b and returns how many bytes it took.
// ErrSDKShort means b holds the start of a valid frame and more bytes are
// needed; any other error means the stream is not BXSDK/1.
func ParseSDK(b []byte) (SDKFrame, int, error) {
	if len(b) >= 1 && b[0] != 'B' || len(b) >= 2 && b[1] != 'X' {
		return SDKFrame{}, 0, fmt.Errorf("%w: bad magic", ErrSDK)
	}
	if len(b) >= 3 && b[2] != sdkVersion {
		return SDKFrame{}, 0, fmt.Errorf("%w: version %d, want %d", ErrSDK, b[2], sdkVersion)
	}
	if len(b) < SDKHeaderLen {
		return SDKFrame{}, 0, ErrSDKShort
	}
	n := int(binary.BigEndian.Uint16(b[6:]))
	if n > SDKMaxBody {
		return SDKFrame{}, 0, fmt.Errorf("%w: body of %d bytes, want <= %d", ErrSDK, n, SDKMaxBody)
	}
	if len(b) < SDKHeaderLen+n {
		return SDKFrame{}, 0, ErrSDKShort
	}
	f := SDKFrame{Type: SDKType(b[3]), Seq: binary.BigEndian.Uint16(b[4:])}
	body := b[SDKHeaderLen : SDKHeaderLen+n]
	var ok bool
	switch f.Type {
	case SDKLogin:
		f.User, body, ok = lenString(body)
		if ok {
			f.Password, body, ok = lenString(body)
		}
		ok = ok && len(body) == 0
	case SDKLoginOK:
		if ok = len(body) >= 4; ok {
			f.Session = binary.BigEndian.Uint32(body)
			f.Serial, body, ok = lenString(body[4:])
			ok = ok && len(body) == 0
		}
	case SDKLoginDenied:
		if ok = len(body) == 1; ok {
			f.Reason = body[0]
		}
	case SDKKeepalive, SDKKeepaliveAck:
		if ok = len(body) == 4; ok {
			f.Session = binary.BigEndian.Uint32(body)
		}
	}
	if !ok {
		return SDKFrame{}, 0, fmt.Errorf("%w: type %d with a body of %d bytes", ErrSDK, f.Type, n)
	}
	if (f.Type == SDKLogin && (len(f.User) > 120 || len(f.Password) > 120)) || (f.Type == SDKLoginOK && len(f.Serial) > 120) {
		return SDKFrame{}, 0, fmt.Errorf("%w: string longer than 120 bytes", ErrSDK)
	}
	return f, SDKHeaderLen + n, nil
}

// lenString reads a one-byte length and that many bytes.
func lenString(b []byte) (string, []byte, bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", nil, false
	}
	return string(b[1 : 1+int(b[0])]), b[1+int(b[0]):], true
}
