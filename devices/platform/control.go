package platform

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Camera types a trigger reports; the type fixes the signalling port and
// which trigger variant reaches it.
const (
	TypeSIP  = "sip"  // SIP/GB28181-style UDP 5060: UDP trigger packet
	TypeRTSP = "rtsp" // RTSP TCP 554: forged TCP SYN
	TypeSDK  = "sdk"  // vendor-SDK-like TCP 8000 (BXSDK/1, camera/sdk.go): forged TCP SYN
)

// DefaultPort is the signalling port of a camera type; 0 for an unknown type.
func DefaultPort(typ string) uint16 {
	switch typ {
	case TypeSIP:
		return 5060
	case TypeRTSP:
		return 554
	case TypeSDK:
		return 8000
	}
	return 0
}

// Reported is one camera a trigger reports (S3/S4).
type Reported struct {
	Addr netip.AddrPort // camera private IP and signalling port
	Type string
}

// Register is the trigger's REGISTER (S1), which also carries its cameras
// (S3), one UDP datagram of text:
//
//	REGISTER <trigger-id> <user> <password> <ip>:<port>/<type> ...
//
// The platform answers "OK <expires seconds>" or "DENIED <reason>".
type Register struct {
	Trigger  string
	User     string
	Password string
	Cameras  []Reported
}

// maxCameras bounds one registration.
const maxCameras = 64

// ErrRegister is wrapped by every ParseRegister error.
var ErrRegister = errors.New("bad REGISTER")

// Marshal formats the registration.
func (r Register) Marshal() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "REGISTER %s %s %s", r.Trigger, r.User, r.Password)
	for _, c := range r.Cameras {
		fmt.Fprintf(&b, " %s/%s", c.Addr, c.Type)
	}
	return []byte(b.String())
}

// ParseRegister parses and checks a registration.
func ParseRegister(b []byte) (Register, error) {
	f := strings.Fields(string(b))
	if len(f) < 4 || f[0] != "REGISTER" {
		return Register{}, fmt.Errorf("%w: want REGISTER <trigger> <user> <password> [camera/type...]", ErrRegister)
	}
	if len(f)-4 > maxCameras {
		return Register{}, fmt.Errorf("%w: %d cameras, want <= %d", ErrRegister, len(f)-4, maxCameras)
	}
	r := Register{Trigger: f[1], User: f[2], Password: f[3]}
	for _, c := range f[4:] {
		ap, typ, ok := strings.Cut(c, "/")
		addr, err := netip.ParseAddrPort(ap)
		if !ok || err != nil || !addr.Addr().Is4() || addr.Port() == 0 || DefaultPort(typ) == 0 {
			return Register{}, fmt.Errorf("%w: camera %q; want <ipv4>:<port>/<sip|rtsp|sdk>", ErrRegister, c)
		}
		r.Cameras = append(r.Cameras, Reported{Addr: addr, Type: typ})
	}
	return r, nil
}

// OK is the platform's answer to an accepted registration.
func OK(expiresSeconds int) []byte { return []byte("OK " + strconv.Itoa(expiresSeconds)) }

// ParseOK returns the expiry of an OK answer.
func ParseOK(b []byte) (int, bool) {
	s, ok := strings.CutPrefix(string(b), "OK ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}
