package platform

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// IndicationVersion is the only version of the indication format.
const IndicationVersion = 1

// IndicationHeaderLen is the fixed part of an indication packet, before PD1.
const IndicationHeaderLen = 20

// MaxPD1 bounds the signalling payload so the trigger packet fits one frame.
const MaxPD1 = 1400

// Command is field ⑤ of an indication: what the trigger must send.
type Command uint8

// Commands.
const (
	SendUDPTrigger Command = 1 // a UDP packet carrying PD1
	SendTCPSyn     Command = 2 // a bare TCP SYN (PD1 empty)
)

func (c Command) String() string {
	switch c {
	case SendUDPTrigger:
		return "udp"
	case SendTCPSyn:
		return "tcp"
	}
	return fmt.Sprintf("command(%d)", uint8(c))
}

// Indication is the packet the platform sends a trigger (seed 002 S6). Its
// wire format, all big-endian:
//
//	0   version (1)
//	1   ⑤ command: 1 send a UDP trigger packet, 2 send a TCP SYN
//	2   total length, header + PD1 (2)
//	4   ① camera private IPv4 (4)
//	8   ② camera port (2)
//	10  ③ server public IPv4 (4); 0.0.0.0 = absent: the trigger uses the
//	    address it registered to
//	14  ④ server receive port (2)
//	16  request id (4), echoed by nothing: it lets the platform name attempts
//	20  PD1: the signalling the server would have sent the camera directly
type Indication struct {
	Camera  netip.AddrPort // ① ②
	Server  netip.AddrPort // ③ ④; an invalid or unspecified address means absent
	Command Command        // ⑤
	ID      uint32
	PD1     []byte
}

// Errors of ParseIndication.
var (
	ErrShort       = errors.New("indication: shorter than its 20-byte header")
	ErrVersion     = errors.New("indication: unknown version")
	ErrLength      = errors.New("indication: length field does not match the packet")
	ErrCommand     = errors.New("indication: unknown command")
	ErrCamera      = errors.New("indication: camera address or port missing")
	ErrServerPort  = errors.New("indication: server port missing")
	ErrPD1TooLong  = errors.New("indication: PD1 longer than 1400 bytes")
	ErrTCPWithPD1  = errors.New("indication: a TCP SYN trigger carries no PD1")
	ErrServerNotV4 = errors.New("indication: server address is not IPv4")
)

// Marshal encodes the indication; it fails on what ParseIndication refuses.
func (in Indication) Marshal() ([]byte, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	b := make([]byte, IndicationHeaderLen+len(in.PD1))
	b[0] = IndicationVersion
	b[1] = byte(in.Command)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	ip := in.Camera.Addr().As4()
	copy(b[4:8], ip[:])
	binary.BigEndian.PutUint16(b[8:], in.Camera.Port())
	if a := in.Server.Addr(); a.IsValid() {
		s := a.As4()
		copy(b[10:14], s[:])
	}
	binary.BigEndian.PutUint16(b[14:], in.Server.Port())
	binary.BigEndian.PutUint32(b[16:], in.ID)
	copy(b[20:], in.PD1)
	return b, nil
}

func (in Indication) check() error {
	switch {
	case in.Command != SendUDPTrigger && in.Command != SendTCPSyn:
		return ErrCommand
	case !in.Camera.Addr().Is4() || in.Camera.Addr().IsUnspecified() || in.Camera.Port() == 0:
		return ErrCamera
	case in.Server.Addr().IsValid() && !in.Server.Addr().Is4():
		return ErrServerNotV4
	case in.Server.Port() == 0:
		return ErrServerPort
	case len(in.PD1) > MaxPD1:
		return ErrPD1TooLong
	case in.Command == SendTCPSyn && len(in.PD1) > 0:
		return ErrTCPWithPD1
	}
	return nil
}

// ParseIndication decodes and checks an indication packet. The returned PD1
// is a copy.
func ParseIndication(b []byte) (Indication, error) {
	if len(b) < IndicationHeaderLen {
		return Indication{}, ErrShort
	}
	if b[0] != IndicationVersion {
		return Indication{}, fmt.Errorf("%w %d; want %d", ErrVersion, b[0], IndicationVersion)
	}
	if n := int(binary.BigEndian.Uint16(b[2:])); n != len(b) {
		return Indication{}, fmt.Errorf("%w: says %d, got %d bytes", ErrLength, n, len(b))
	}
	in := Indication{
		Command: Command(b[1]),
		Camera:  netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[8:])),
		Server:  netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[10:14])), binary.BigEndian.Uint16(b[14:])),
		ID:      binary.BigEndian.Uint32(b[16:]),
	}
	if len(b) > IndicationHeaderLen {
		in.PD1 = append([]byte(nil), b[IndicationHeaderLen:]...)
	}
	if err := in.check(); err != nil {
		return Indication{}, err
	}
	return in, nil
}

// ServerOr returns ③④ with ③ replaced by def when the indication left it out.
func (in Indication) ServerOr(def netip.Addr) netip.AddrPort {
	if a := in.Server.Addr(); a.IsValid() && !a.IsUnspecified() {
		return in.Server
	}
	return netip.AddrPortFrom(def, in.Server.Port())
}
