package stun

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

const (
	familyIPv4 = 0x01
	familyIPv6 = 0x02
)

// decodeAddr reads a MAPPED-ADDRESS-shaped value: reserved byte, family,
// port, then 4 or 16 address bytes.
func decodeAddr(v []byte) (netip.AddrPort, error) {
	if len(v) < 4 {
		return netip.AddrPort{}, fmt.Errorf("address of %d bytes; want 8 (IPv4) or 20 (IPv6)", len(v))
	}
	port := binary.BigEndian.Uint16(v[2:4])
	switch v[1] {
	case familyIPv4:
		if len(v) != 8 {
			return netip.AddrPort{}, fmt.Errorf("IPv4 address of %d bytes; want 8", len(v))
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(v[4:8])), port), nil
	case familyIPv6:
		if len(v) != 20 {
			return netip.AddrPort{}, fmt.Errorf("IPv6 address of %d bytes; want 20", len(v))
		}
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(v[4:20])), port), nil
	}
	return netip.AddrPort{}, fmt.Errorf("address family %d; want 1 (IPv4) or 2 (IPv6)", v[1])
}

// encodeAddr is the inverse of decodeAddr; IPv4-mapped IPv6 is written as IPv4.
func encodeAddr(ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap()
	v := make([]byte, 4, 20)
	binary.BigEndian.PutUint16(v[2:4], ap.Port())
	if a.Is4() {
		v[1] = familyIPv4
		b := a.As4()
		return append(v, b[:]...)
	}
	v[1] = familyIPv6
	b := a.As16()
	return append(v, b[:]...)
}

// xorAddr XORs an address value in place with the cookie and transaction ID.
func xorAddr(v []byte, tid [16]byte) {
	v[2] ^= tid[0]
	v[3] ^= tid[1]
	for i := 4; i < len(v); i++ {
		v[i] ^= tid[i-4]
	}
}

// AddrAttr builds a plain address attribute (MAPPED-ADDRESS, OTHER-ADDRESS…).
func AddrAttr(t AttrType, ap netip.AddrPort) Attr {
	return Attr{Type: t, Value: encodeAddr(ap)}
}

// XORMappedAddressAttr builds XOR-MAPPED-ADDRESS for a message whose
// TransactionID (cookie included) is tid.
func XORMappedAddressAttr(ap netip.AddrPort, tid [16]byte) Attr {
	v := encodeAddr(ap)
	xorAddr(v, tid)
	return Attr{Type: AttrXORMappedAddress, Value: v}
}

// Addr decodes the first plain address attribute of type t.
func (m *Message) Addr(t AttrType) (netip.AddrPort, error) {
	v, ok := m.Get(t)
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("stun: no attribute %v", t)
	}
	ap, err := decodeAddr(v)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("stun: attribute %v: %w", t, err)
	}
	return ap, nil
}

// XORMappedAddress decodes XOR-MAPPED-ADDRESS (RFC 5389 messages only).
func (m *Message) XORMappedAddress() (netip.AddrPort, error) {
	if m.Dialect != RFC5389 {
		return netip.AddrPort{}, fmt.Errorf("stun: XOR-MAPPED-ADDRESS in a %v message; want rfc5389", m.Dialect)
	}
	v, ok := m.Get(AttrXORMappedAddress)
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("stun: no attribute XOR-MAPPED-ADDRESS")
	}
	c := append([]byte(nil), v...)
	if len(c) >= 4 {
		xorAddr(c, m.TransactionID)
	}
	ap, err := decodeAddr(c)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("stun: XOR-MAPPED-ADDRESS: %w", err)
	}
	return ap, nil
}

// MappedAddress decodes MAPPED-ADDRESS.
func (m *Message) MappedAddress() (netip.AddrPort, error) { return m.Addr(AttrMappedAddress) }

// Mapped returns how the server saw the client: XOR-MAPPED-ADDRESS when
// present (RFC 5389), else MAPPED-ADDRESS.
func (m *Message) Mapped() (netip.AddrPort, error) {
	if m.Dialect == RFC5389 && m.Has(AttrXORMappedAddress) {
		return m.XORMappedAddress()
	}
	return m.MappedAddress()
}

// OtherAddress decodes the RFC 5780 OTHER-ADDRESS.
func (m *Message) OtherAddress() (netip.AddrPort, error) { return m.Addr(AttrOtherAddress) }

// ResponseOrigin decodes the RFC 5780 RESPONSE-ORIGIN.
func (m *Message) ResponseOrigin() (netip.AddrPort, error) { return m.Addr(AttrResponseOrigin) }

// ChangedAddress decodes the RFC 3489 CHANGED-ADDRESS.
func (m *Message) ChangedAddress() (netip.AddrPort, error) { return m.Addr(AttrChangedAddress) }

// SourceAddress decodes the RFC 3489 SOURCE-ADDRESS.
func (m *Message) SourceAddress() (netip.AddrPort, error) { return m.Addr(AttrSourceAddress) }

// ResponseAddress decodes the RFC 3489 RESPONSE-ADDRESS.
func (m *Message) ResponseAddress() (netip.AddrPort, error) { return m.Addr(AttrResponseAddress) }

// Alternate returns the server's other address: OTHER-ADDRESS, or
// CHANGED-ADDRESS from a classic server.
func (m *Message) Alternate() (netip.AddrPort, error) {
	if m.Has(AttrOtherAddress) {
		return m.OtherAddress()
	}
	return m.ChangedAddress()
}

// Origin returns where the server says it answered from: RESPONSE-ORIGIN,
// or SOURCE-ADDRESS from a classic server.
func (m *Message) Origin() (netip.AddrPort, error) {
	if m.Has(AttrResponseOrigin) {
		return m.ResponseOrigin()
	}
	return m.SourceAddress()
}
