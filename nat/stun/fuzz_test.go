package stun

import (
	"net/netip"
	"reflect"
	"testing"
)

func FuzzParseClassic(f *testing.F) {
	f.Add(tr111Request("dslforum.org/TR-111 "))
	f.Add(tr111Request("dslforum.org/TR-111"))
	for _, m := range sampleMessages(Classic) {
		b, _ := m.Encode()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseClassic(b)
		if err != nil {
			return
		}
		exercise(m)
		out, err := BuildClassic(m)
		if err != nil {
			t.Fatalf("parsed message does not encode: %v", err)
		}
		again, err := ParseClassic(out)
		if err != nil {
			t.Fatalf("own encoding %x does not parse: %v", out, err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, again)
		}
	})
}

func FuzzParseRFC5389(f *testing.F) {
	f.Add(rfc5769Request)
	f.Add(rfc5769Response)
	for _, m := range sampleMessages(RFC5389) {
		b, _ := BuildRFC5389Fingerprint(m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		exercise(m)
		if m.Dialect != RFC5389 {
			return
		}
		build := BuildRFC5389
		if n := len(m.Attrs); n > 0 && m.Attrs[n-1].Type == AttrFingerprint {
			m.Attrs = m.Attrs[:n-1] // padding may differ, so the CRC is recomputed
			build = BuildRFC5389Fingerprint
		}
		out, err := build(m)
		if err != nil {
			t.Fatalf("parsed message does not encode: %v", err)
		}
		again, err := ParseRFC5389(out)
		if err != nil {
			t.Fatalf("own encoding %x does not parse: %v", out, err)
		}
		if len(again.Attrs) > len(m.Attrs) { // the new FINGERPRINT
			again.Attrs = again.Attrs[:len(m.Attrs)]
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, again)
		}
	})
}

// exercise calls every reader and the server's decision on m: none may panic.
func exercise(m *Message) {
	m.Mapped()
	m.XORMappedAddress()
	m.Alternate()
	m.Origin()
	m.ResponseAddress()
	m.ChangeRequest()
	m.ResponsePort()
	m.ErrorCode()
	r := fuzzServer.answer(m, 1, 0, netip.MustParseAddrPort("192.0.2.9:1234"))
	if _, err := r.msg.Encode(); err != nil {
		panic(err)
	}
}

var fuzzServer = &Server{socks: [2][2]Socket{
	{{Addr: netip.MustParseAddrPort("192.0.2.1:3478")}, {Addr: netip.MustParseAddrPort("192.0.2.1:3479")}},
	{{Addr: netip.MustParseAddrPort("192.0.2.2:3478")}, {Addr: netip.MustParseAddrPort("192.0.2.2:3479")}},
}}

func sampleMessages(d Dialect) []*Message {
	tid := NewTransactionID()
	if d == Classic {
		tid = NewClassicTransactionID()
	}
	ap := netip.MustParseAddrPort("203.0.113.5:61000")
	return []*Message{
		{Dialect: d, Type: BindingRequest, TransactionID: tid, Attrs: []Attr{ChangeRequestAttr(true, true)}},
		{Dialect: d, Type: BindingRequest, TransactionID: tid, Attrs: []Attr{AddrAttr(AttrResponseAddress, ap)}},
		{Dialect: d, Type: BindingRequest, TransactionID: tid, Attrs: []Attr{{Type: AttrResponsePort, Value: []byte{0x12, 0x34, 0, 0}}}},
		{Dialect: d, Type: BindingSuccess, TransactionID: tid, Attrs: []Attr{XORMappedAddressAttr(ap, tid),
			AddrAttr(AttrMappedAddress, ap), AddrAttr(AttrOtherAddress, ap), AddrAttr(AttrChangedAddress, ap)}},
		{Dialect: d, Type: BindingError, TransactionID: tid, Attrs: []Attr{ErrorAttr(420, "Unknown Attribute"),
			UnknownAttributesAttr([]AttrType{0x0042})}},
	}
}
