package rendezvous

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Version is the only version of the wire format.
const Version = 1

// HeaderLen is the common header: version, type, total length.
const HeaderLen = 4

// MaxMessage bounds every datagram of the format.
const MaxMessage = 1200

// Sizes of fixed fields.
const (
	NonceLen   = 16 // challenge nonce and Argon2id salt
	MACLen     = 32 // HMAC-SHA256
	WrapNonce  = 24 // XChaCha20-Poly1305 nonce of a wrapped session key
	WrappedLen = 32 + 16
	maxString  = 64
	maxArgonMB = 256 // a device refuses to spend more memory on a server's KDF parameters
)

// Type is the second byte of every message.
type Type uint8

// Message types.
const (
	THello        Type = 1  // device → server: id, user
	TChallenge    Type = 2  // server → device: nonce, KDF parameters and salt
	TRegister     Type = 3  // device → server: id, user, nonce, MAC
	TRegistered   Type = 4  // server → device: overlay address, public endpoint, periods, MAC
	TRefused      Type = 5  // server → device: reason code, id, seq, text
	THeartbeat    Type = 6  // device → server: id, seq, MAC
	THeartbeatAck Type = 7  // server → device: id, seq, public endpoint, MAC
	TConnect      Type = 8  // device → server: id, target, seq, MAC
	TOffer        Type = 9  // server → device: session, peer, endpoints, wrapped key
	TReady        Type = 10 // caller → server: session, seq, MAC: my first punch has left
	TRelayReq     Type = 11 // device → server: session, seq, MAC: punching failed, give me a relay
	TRelayGrant   Type = 12 // server → device: session, seq, relay endpoint, TURN user name, wrapped HMAC
	TRelayAddr    Type = 13 // device → server: session, seq, my relayed endpoint, MAC
	TRelayPeer    Type = 14 // server → device: session, the peer's relayed endpoint, MAC
	TSealed       Type = 16 // device ↔ device: session, seq, AEAD ciphertext
)

func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

var typeNames = map[Type]string{THello: "hello", TChallenge: "challenge", TRegister: "register", TRegistered: "registered",
	TRefused: "refused", THeartbeat: "heartbeat", THeartbeatAck: "heartbeat-ack", TConnect: "connect", TOffer: "offer", TReady: "ready",
	TRelayReq: "relay-request", TRelayGrant: "relay-grant", TRelayAddr: "relay-addr", TRelayPeer: "relay-peer", TSealed: "sealed"}

// Reason is the code of a Refused message.
type Reason uint8

// Refusal reasons.
const (
	UnknownDevice  Reason = 1 // the id is not in the registry: no address, no key
	BadCredentials Reason = 2 // the MAC does not verify under the device's password
	NotRegistered  Reason = 3 // heartbeat or connect from a device without a registration
	TargetOffline  Reason = 4 // the target has not sent a heartbeat lately
	UnknownTarget  Reason = 5 // the target is not registered at all
	StaleChallenge Reason = 6 // the register answers no challenge the server holds
	Replayed       Reason = 7 // a sequence number not above the last one
	NoRelay        Reason = 8 // a relay request to a server that has no relay
	UnknownSession Reason = 9 // a relay message for a session the device is not part of
	maxReason             = UnknownSession
)

func (r Reason) String() string {
	switch r {
	case UnknownDevice:
		return "unknown device"
	case BadCredentials:
		return "bad credentials"
	case NotRegistered:
		return "not registered"
	case TargetOffline:
		return "target offline"
	case UnknownTarget:
		return "unknown target"
	case StaleChallenge:
		return "stale challenge"
	case Replayed:
		return "replayed"
	case NoRelay:
		return "no relay"
	case UnknownSession:
		return "unknown session"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// KDF are the Argon2id parameters the server announces with its salt.
type KDF struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
	Salt      [NonceLen]byte
}

// Msg is one control message; which fields matter depends on Type (see the
// package documentation for the layout of each).
type Msg struct {
	Type      Type
	ID        string // the sender (device → server) or the recipient (server → device)
	User      string // hello, register; relay grant: the TURN user name
	Target    string // connect: the device to reach; offer: the peer
	Text      string // refused: free text
	Nonce     [NonceLen]byte
	KDF       KDF
	Reason    Reason
	Seq       uint64         // heartbeat, connect, and their answers (refused, ack, offer to the caller)
	Session   uint64         // offer, ready, relay messages
	Caller    bool           // offer: the recipient asked for this session
	Overlay   netip.Addr     // registered: own overlay address; offer: the peer's
	Public    netip.AddrPort // registered, ack: own endpoint as the server sees it; offer: the peer's; relay grant: the TURN server; relay addr: own relayed endpoint; relay peer: the peer's
	Heartbeat uint32         // registered: heartbeat period, ms of simulated time
	Expires   uint32         // registered: lifetime without heartbeats, ms
	WrapNonce [WrapNonce]byte
	Wrapped   [WrappedLen]byte // offer: the session key sealed under the recipient's wrap key; relay grant: the TURN password's HMAC
	MAC       [MACLen]byte
}

// Errors of Parse; every one is wrapped with the detail.
var (
	ErrShort   = errors.New("rendezvous: shorter than its header")
	ErrVersion = errors.New("rendezvous: unknown version")
	ErrLength  = errors.New("rendezvous: length field does not match the datagram")
	ErrType    = errors.New("rendezvous: unknown message type")
	ErrField   = errors.New("rendezvous: bad field")
	ErrTrail   = errors.New("rendezvous: bytes after the last field")
)

// Marshal encodes m; it fails on what Parse refuses.
func (m *Msg) Marshal() ([]byte, error) {
	w := writer{b: make([]byte, HeaderLen, 256)}
	w.b[0], w.b[1] = Version, byte(m.Type)
	switch m.Type {
	case THello:
		w.str(m.ID)
		w.str(m.User)
	case TChallenge:
		w.str(m.ID)
		w.bytes(m.Nonce[:])
		w.u32(m.KDF.Time)
		w.u32(m.KDF.MemoryKiB)
		w.u8(m.KDF.Threads)
		w.bytes(m.KDF.Salt[:])
	case TRegister:
		w.str(m.ID)
		w.str(m.User)
		w.bytes(m.Nonce[:])
		w.bytes(m.MAC[:])
	case TRegistered:
		w.str(m.ID)
		w.addr(m.Overlay)
		w.endpoint(m.Public)
		w.u32(m.Heartbeat)
		w.u32(m.Expires)
		w.bytes(m.MAC[:])
	case TRefused:
		w.u8(uint8(m.Reason))
		w.str(m.ID)
		w.u64(m.Seq)
		w.str(m.Text)
	case THeartbeat:
		w.str(m.ID)
		w.u64(m.Seq)
		w.bytes(m.MAC[:])
	case THeartbeatAck:
		w.str(m.ID)
		w.u64(m.Seq)
		w.endpoint(m.Public)
		w.bytes(m.MAC[:])
	case TConnect:
		w.str(m.ID)
		w.str(m.Target)
		w.u64(m.Seq)
		w.bytes(m.MAC[:])
	case TReady:
		w.str(m.ID)
		w.u64(m.Session)
		w.u64(m.Seq)
		w.bytes(m.MAC[:])
	case TRelayReq:
		w.str(m.ID)
		w.u64(m.Session)
		w.u64(m.Seq)
		w.bytes(m.MAC[:])
	case TRelayGrant:
		w.str(m.ID)
		w.u64(m.Session)
		w.u64(m.Seq)
		w.endpoint(m.Public)
		w.str(m.User)
		w.bytes(m.WrapNonce[:])
		w.bytes(m.Wrapped[:])
	case TRelayAddr:
		w.str(m.ID)
		w.u64(m.Session)
		w.u64(m.Seq)
		w.endpoint(m.Public)
		w.bytes(m.MAC[:])
	case TRelayPeer:
		w.str(m.ID)
		w.u64(m.Session)
		w.endpoint(m.Public)
		w.bytes(m.MAC[:])
	case TOffer:
		w.str(m.ID)
		w.str(m.Target)
		w.u64(m.Session)
		w.u64(m.Seq)
		role := uint8(2)
		if m.Caller {
			role = 1
		}
		w.u8(role)
		w.addr(m.Overlay)
		w.endpoint(m.Public)
		w.bytes(m.WrapNonce[:])
		w.bytes(m.Wrapped[:])
	default:
		return nil, fmt.Errorf("%w %d", ErrType, m.Type)
	}
	if w.err != nil {
		return nil, w.err
	}
	if len(w.b) > MaxMessage {
		return nil, fmt.Errorf("%w: %d bytes, want <= %d", ErrLength, len(w.b), MaxMessage)
	}
	binary.BigEndian.PutUint16(w.b[2:], uint16(len(w.b)))
	if _, err := Parse(w.b); err != nil {
		return nil, err
	}
	return w.b, nil
}

// Peek checks the common header of b and returns its type; it is what
// Parse and ParseSealed start with.
func Peek(b []byte) (Type, error) {
	if len(b) < HeaderLen {
		return 0, ErrShort
	}
	if b[0] != Version {
		return 0, fmt.Errorf("%w %d; want %d", ErrVersion, b[0], Version)
	}
	if n := int(binary.BigEndian.Uint16(b[2:])); n != len(b) || n > MaxMessage {
		return 0, fmt.Errorf("%w: says %d, got %d bytes (max %d)", ErrLength, n, len(b), MaxMessage)
	}
	return Type(b[1]), nil
}

// Parse decodes and checks one control message. It never keeps b.
func Parse(b []byte) (Msg, error) {
	t, err := Peek(b)
	if err != nil {
		return Msg{}, err
	}
	m := Msg{Type: t}
	r := reader{b: b[HeaderLen:]}
	switch t {
	case THello:
		m.ID, m.User = r.id(), r.str(true)
	case TChallenge:
		m.ID = r.id()
		r.fixed(m.Nonce[:])
		m.KDF.Time, m.KDF.MemoryKiB, m.KDF.Threads = r.u32(), r.u32(), r.u8()
		r.fixed(m.KDF.Salt[:])
		if r.err == nil && (m.KDF.Time < 1 || m.KDF.Time > 16 || m.KDF.MemoryKiB < 8*uint32(max(m.KDF.Threads, 1)) ||
			m.KDF.MemoryKiB > maxArgonMB<<10 || m.KDF.Threads < 1) {
			r.fail("KDF parameters out of range (time 1..16, memory 8*threads KiB..256 MiB, threads >= 1)")
		}
	case TRegister:
		m.ID, m.User = r.id(), r.str(true)
		r.fixed(m.Nonce[:])
		r.fixed(m.MAC[:])
	case TRegistered:
		m.ID, m.Overlay, m.Public = r.id(), r.addr(), r.endpoint()
		m.Heartbeat, m.Expires = r.u32(), r.u32()
		r.fixed(m.MAC[:])
		if r.err == nil && (m.Heartbeat == 0 || m.Expires < m.Heartbeat) {
			r.fail("want heartbeat > 0 and expires >= heartbeat")
		}
	case TRefused:
		m.Reason = Reason(r.u8())
		m.ID, m.Seq, m.Text = r.id(), r.u64(), r.text()
		if r.err == nil && (m.Reason < UnknownDevice || m.Reason > maxReason) {
			r.fail(fmt.Sprintf("reason %d", m.Reason))
		}
	case THeartbeat:
		m.ID, m.Seq = r.id(), r.u64()
		r.fixed(m.MAC[:])
	case THeartbeatAck:
		m.ID, m.Seq, m.Public = r.id(), r.u64(), r.endpoint()
		r.fixed(m.MAC[:])
	case TConnect:
		m.ID, m.Target, m.Seq = r.id(), r.id(), r.u64()
		r.fixed(m.MAC[:])
	case TReady:
		m.ID, m.Session, m.Seq = r.id(), r.u64(), r.u64()
		r.fixed(m.MAC[:])
		if r.err == nil && m.Session == 0 {
			r.fail("session 0")
		}
	case TRelayReq:
		m.ID, m.Session, m.Seq = r.id(), r.u64(), r.u64()
		r.fixed(m.MAC[:])
	case TRelayGrant:
		m.ID, m.Session, m.Seq, m.Public, m.User = r.id(), r.u64(), r.u64(), r.endpoint(), r.id()
		r.fixed(m.WrapNonce[:])
		r.fixed(m.Wrapped[:])
		if r.err == nil && (m.Seq == 0 || !m.Public.Addr().IsGlobalUnicast() || m.Public.Port() == 0) {
			r.fail("relay grant: want seq > 0 and a unicast relay endpoint")
		}
	case TRelayAddr, TRelayPeer:
		m.ID, m.Session = r.id(), r.u64()
		if t == TRelayAddr {
			m.Seq = r.u64()
		}
		m.Public = r.endpoint()
		r.fixed(m.MAC[:])
		if r.err == nil && (!m.Public.Addr().IsGlobalUnicast() || m.Public.Port() == 0) {
			r.fail("relayed endpoint: want a unicast address and a port")
		}
	case TOffer:
		m.ID, m.Target, m.Session, m.Seq = r.id(), r.id(), r.u64(), r.u64()
		switch role := r.u8(); role {
		case 1:
			m.Caller = true
		case 2:
		default:
			r.fail(fmt.Sprintf("offer role %d; want 1 (caller) or 2 (callee)", role))
		}
		m.Overlay, m.Public = r.addr(), r.endpoint()
		r.fixed(m.WrapNonce[:])
		r.fixed(m.Wrapped[:])
		if r.err == nil && m.Session == 0 {
			r.fail("session 0")
		}
	default:
		return Msg{}, fmt.Errorf("%w %d", ErrType, t)
	}
	if r.err != nil {
		return Msg{}, fmt.Errorf("%s: %w", t, r.err)
	}
	if len(r.b) != 0 {
		return Msg{}, fmt.Errorf("%s: %w (%d)", t, ErrTrail, len(r.b))
	}
	if (t == TConnect || t == THeartbeat || t == TReady || t == TRelayReq || t == TRelayAddr) && m.Seq == 0 {
		return Msg{}, fmt.Errorf("%s: %w: seq 0", t, ErrField)
	}
	if (t >= TRelayReq && t <= TRelayPeer) && m.Session == 0 {
		return Msg{}, fmt.Errorf("%s: %w: session 0", t, ErrField)
	}
	return m, nil
}

// Authenticated is the part of a marshalled message its MAC covers:
// everything before the MAC, header included (the length field counts the
// MAC, so a truncated message never verifies).
func Authenticated(b []byte) []byte {
	if len(b) < MACLen {
		return nil
	}
	return b[:len(b)-MACLen]
}

type writer struct {
	b   []byte
	err error
}

func (w *writer) u8(v uint8)     { w.b = append(w.b, v) }
func (w *writer) u32(v uint32)   { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64)   { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *writer) bytes(v []byte) { w.b = append(w.b, v...) }
func (w *writer) addr(a netip.Addr) {
	if a.IsValid() && !a.Is4() {
		w.err = fmt.Errorf("%w: address %v is not IPv4", ErrField, a)
	}
	v := [4]byte{}
	if a.Is4() {
		v = a.As4()
	}
	w.b = append(w.b, v[:]...)
}
func (w *writer) endpoint(a netip.AddrPort) {
	w.addr(a.Addr().Unmap())
	w.b = binary.BigEndian.AppendUint16(w.b, a.Port())
}
func (w *writer) str(s string) {
	if len(s) > maxString {
		w.err = fmt.Errorf("%w: string of %d bytes, want <= %d", ErrField, len(s), maxString)
		return
	}
	w.b = append(append(w.b, uint8(len(s))), s...)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrField, what)
	}
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = fmt.Errorf("%w: truncated (want %d more bytes, have %d)", ErrField, n, len(r.b))
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (r *reader) fixed(dst []byte) { copy(dst, r.take(len(dst))) }

func (r *reader) addr() netip.Addr {
	if v := r.take(4); v != nil {
		return netip.AddrFrom4([4]byte(v))
	}
	return netip.Addr{}
}

func (r *reader) endpoint() netip.AddrPort {
	a := r.addr()
	if v := r.take(2); v != nil {
		return netip.AddrPortFrom(a, binary.BigEndian.Uint16(v))
	}
	return netip.AddrPort{}
}

// str reads a length-prefixed string of printable ASCII without spaces.
func (r *reader) str(emptyOK bool) string { return r.ascii(emptyOK, false) }

// text is str with spaces allowed.
func (r *reader) text() string { return r.ascii(true, true) }

func (r *reader) ascii(emptyOK, spaceOK bool) string {
	n := int(r.u8())
	v := r.take(n)
	if r.err != nil {
		return ""
	}
	if n > maxString || (n == 0 && !emptyOK) {
		r.fail(fmt.Sprintf("string of %d bytes; want 1..%d", n, maxString))
		return ""
	}
	for _, c := range v {
		if c < ' ' || c > '~' || (c == ' ' && !spaceOK) {
			r.fail(fmt.Sprintf("byte %#x in a string; want printable ASCII without spaces", c))
			return ""
		}
	}
	return string(v)
}

func (r *reader) id() string { return r.str(false) }
