package stun

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// rfc5769Response is RFC 5769 §2.2, the IPv4 sample response.
var rfc5769Response = []byte("\x01\x01\x00\x3c" + "\x21\x12\xa4\x42" +
	"\xb7\xe7\xa7\x01\xbc\x34\xd6\x86\xfa\x87\xdf\xae" +
	"\x80\x22\x00\x0b" + "\x74\x65\x73\x74\x20\x76\x65\x63\x74\x6f\x72\x20" +
	"\x00\x20\x00\x08" + "\x00\x01\xa1\x47\xe1\x12\xa6\x43" +
	"\x00\x08\x00\x14" + "\x2b\x91\xf5\x99\xfd\x9e\x90\xc3\x8c\x74\x89\xf9\x2a\xf9\xba\x53\xf0\x6b\xe7\xd7" +
	"\x80\x28\x00\x04" + "\xc0\x7d\x4c\x96")

// rfc5769Request is RFC 5769 §2.1: USERNAME padded with spaces, not zeros.
var rfc5769Request = []byte("\x00\x01\x00\x58" + "\x21\x12\xa4\x42" +
	"\xb7\xe7\xa7\x01\xbc\x34\xd6\x86\xfa\x87\xdf\xae" +
	"\x80\x22\x00\x10" + "STUN test client" +
	"\x00\x24\x00\x04" + "\x6e\x00\x01\xff" +
	"\x80\x29\x00\x08" + "\x93\x2f\xf9\xb1\x51\x26\x3b\x36" +
	"\x00\x06\x00\x09" + "\x65\x76\x74\x6a\x3a\x68\x36\x76\x59\x20\x20\x20" +
	"\x00\x08\x00\x14" + "\x9a\xea\xa7\x0c\xbf\xd8\xcb\x56\x78\x1e\xf2\xb5\xb2\xd3\xf2\x49\xc1\xb5\x71\xa2" +
	"\x80\x28\x00\x04" + "\xe5\x7a\x3b\xcf")

// tr111Request is a classic Binding Request as icwmp sends it: 16-byte
// transaction ID, USERNAME padded with spaces, CONNECTION-REQUEST-BINDING.
func tr111Request(crb string) []byte {
	b := []byte("\x00\x01\x00\x00" + "0123456789abcdef")
	b = append(b, "\x00\x06\x00\x0ccpe-00000001"...)
	b = append(b, 0xC0, 0x01, 0x00, byte(len(crb)))
	b = append(b, crb...)
	b[3] = byte(len(b) - HeaderSize)
	return b
}

func TestRFC5769(t *testing.T) {
	m, err := Parse(rfc5769Response)
	if err != nil {
		t.Fatalf("RFC 5769 §2.2: %v", err)
	}
	if m.Dialect != RFC5389 || m.Type != BindingSuccess {
		t.Errorf("RFC 5769 §2.2: dialect %v type %#x", m.Dialect, m.Type)
	}
	got, err := m.XORMappedAddress()
	if want := netip.MustParseAddrPort("192.0.2.1:32853"); err != nil || got != want {
		t.Errorf("RFC 5769 §2.2 XOR-MAPPED-ADDRESS = %v, %v; want %v", got, err, want)
	}
	if sw, _ := m.Get(AttrSoftware); string(sw) != "test vector" {
		t.Errorf("RFC 5769 §2.2 SOFTWARE = %q", sw)
	}
	if m, err = Parse(rfc5769Request); err != nil {
		t.Fatalf("RFC 5769 §2.1: %v", err)
	}
	if u, _ := m.Get(AttrUsername); string(u) != "evtj:h6vY" {
		t.Errorf("RFC 5769 §2.1 USERNAME = %q", u)
	}
	// A flipped bit anywhere before FINGERPRINT must be caught by it.
	bad := bytes.Clone(rfc5769Request)
	bad[30] ^= 1
	if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("RFC 5389 §15.5: bad FINGERPRINT accepted: %v", err)
	}
}

func TestClassicTR111(t *testing.T) {
	for _, crb := range []string{"dslforum.org/TR-111 ", "dslforum.org/TR-111"} {
		m, err := Parse(tr111Request(crb))
		if err != nil {
			t.Fatalf("TR-111 request with CRB %q: %v", crb, err)
		}
		if m.Dialect != Classic || m.Type != BindingRequest || string(m.TransactionID[:]) != "0123456789abcdef" {
			t.Errorf("TR-111: got %v type %#x tid %q", m.Dialect, m.Type, m.TransactionID)
		}
		if v, ok := m.Get(AttrConnectionRequestBinding); !ok || string(v) != crb {
			t.Errorf("TR-111 §1.2 CONNECTION-REQUEST-BINDING = %q, %v; want %q", v, ok, crb)
		}
		if u, _ := m.Get(AttrUsername); string(u) != "cpe-00000001" {
			t.Errorf("USERNAME = %q", u)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ap4 := netip.MustParseAddrPort("198.51.100.7:40000")
	ap6 := netip.MustParseAddrPort("[2001:db8::1]:3478")
	for _, d := range []Dialect{Classic, RFC5389} {
		tid := NewClassicTransactionID()
		if d == RFC5389 {
			tid = NewTransactionID()
		}
		m := &Message{Dialect: d, Type: BindingSuccess, TransactionID: tid, Attrs: []Attr{
			AddrAttr(AttrMappedAddress, ap4), AddrAttr(AttrChangedAddress, ap6), AddrAttr(AttrSourceAddress, ap4),
			AddrAttr(AttrOtherAddress, ap6), AddrAttr(AttrResponseOrigin, ap4), ChangeRequestAttr(true, false),
			{Type: 0x8888, Value: []byte("odd")}, {Type: AttrBindingChange, Value: []byte{}},
		}}
		if d == RFC5389 {
			m.Add(XORMappedAddressAttr(ap6, tid).Type, XORMappedAddressAttr(ap6, tid).Value)
		}
		b, err := m.Encode()
		if err != nil {
			t.Fatalf("%v: encode: %v", d, err)
		}
		got, err := Parse(b)
		if err != nil {
			t.Fatalf("%v: parse own output %s: %v", d, hex.EncodeToString(b), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%v: round trip\n got %+v\nwant %+v", d, got, m)
		}
		for name, f := range map[string]func() (netip.AddrPort, error){
			"MAPPED": got.MappedAddress, "CHANGED": got.ChangedAddress, "SOURCE": got.SourceAddress,
			"OTHER": got.OtherAddress, "ORIGIN": got.ResponseOrigin, "Mapped": got.Mapped,
			"Alternate": got.Alternate, "Origin": got.Origin,
		} {
			if _, err := f(); err != nil {
				t.Errorf("%v: %s: %v", d, name, err)
			}
		}
		if ip, port, err := got.ChangeRequest(); !ip || port || err != nil {
			t.Errorf("%v: CHANGE-REQUEST = %v %v %v; want change IP only", d, ip, port, err)
		}
		if d == RFC5389 {
			if x, err := got.XORMappedAddress(); x != ap6 || err != nil {
				t.Errorf("XOR-MAPPED-ADDRESS = %v %v; want %v", x, err, ap6)
			}
			if x, _ := got.Mapped(); x != ap6 {
				t.Errorf("Mapped prefers XOR-MAPPED-ADDRESS: got %v", x)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	classic := tr111Request("dslforum.org/TR-111 ")
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short header", classic[:19]},
		{"type top bits (UDP Connection Request text)", []byte("GET http://10.0.0.1:7547?ts=1&id=2 HTTP/1.1\r\n")},
		{"length longer than datagram", classic[:len(classic)-1]},
		{"length shorter than datagram", append(bytes.Clone(classic), 0, 0, 0, 0)},
		{"attribute header truncated", withLength([]byte("\x00\x01\x00\x00" + "0123456789abcdef" + "\x00\x06"))},
		{"attribute value past end", withLength([]byte("\x00\x01\x00\x00" + "0123456789abcdef" + "\x00\x06\x00\x08abcd"))},
		{"padding past end, not last", withLength([]byte("\x00\x01\x00\x00" + "0123456789abcdef" + "\x00\x06\x00\x03abc\x00\x06\x00"))},
		{"MAPPED-ADDRESS short", withLength([]byte("\x00\x01\x00\x00" + "0123456789abcdef" + "\x00\x01\x00\x04\x00\x01\x00\x01"))},
		{"MAPPED-ADDRESS family 3", withLength([]byte("\x00\x01\x00\x00" + "0123456789abcdef" + "\x00\x01\x00\x08\x00\x03\x00\x01\x01\x02\x03\x04"))},
		{"CHANGE-REQUEST 2 bytes", withLength([]byte("\x00\x01\x00\x00" + "0123456789abcdef" + "\x00\x03\x00\x02\x00\x06\x00\x00"))},
		{"MESSAGE-INTEGRITY 4 bytes", withLength([]byte("\x00\x01\x00\x00" + "0123456789abcdef" + "\x00\x08\x00\x04abcd"))},
		{"ERROR-CODE class 7", withLength([]byte("\x01\x11\x00\x00" + "0123456789abcdef" + "\x00\x09\x00\x04\x00\x00\x07\x00"))},
		{"UNKNOWN-ATTRIBUTES odd", withLength([]byte("\x01\x11\x00\x00" + "0123456789abcdef" + "\x00\x0a\x00\x03abc\x00"))},
		{"rfc5389 length not multiple of 4", withLength([]byte("\x00\x01\x00\x00" + "\x21\x12\xa4\x42" + "abcdefghijkl" + "\x00\x06\x00\x01a"))},
		{"rfc5389 FINGERPRINT not last", withLength(append(bytes.Clone(rfc5769Response[:HeaderSize]), append(bytes.Clone(rfc5769Response[len(rfc5769Response)-8:]), "\x80\x22\x00\x04abcd"...)...))},
		{"rfc5389 XOR-MAPPED-ADDRESS 5 bytes", withLength([]byte("\x01\x01\x00\x00" + "\x21\x12\xa4\x42" + "abcdefghijkl" + "\x00\x20\x00\x05\x00\x01\x00\x00\x00\x00\x00\x00"))},
	}
	for _, tt := range tests {
		if m, err := Parse(tt.b); err == nil {
			t.Errorf("%s: accepted as %+v", tt.name, m)
		}
	}
}

func TestUnpaddedLastAttribute(t *testing.T) {
	b := tr111Request("dslforum.org/TR-111")
	if len(b)%4 == 0 {
		t.Fatal("test request should end unpadded")
	}
	m, err := ParseClassic(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := BuildClassic(m)
	want := withLength(append(bytes.Clone(b), 0))
	if err != nil || !bytes.Equal(out, want) {
		t.Errorf("BuildClassic = %x, %v; want the last attribute padded: %x", out, err, want)
	}
}

func TestEncodeLimits(t *testing.T) {
	big := &Message{Dialect: Classic, Type: BindingRequest, Attrs: []Attr{{Type: 0x8001, Value: make([]byte, 70000)}}}
	if _, err := big.Encode(); err == nil {
		t.Error("classic: 70000-byte attribute encoded")
	}
	big.Dialect = RFC5389
	if _, err := big.Encode(); err == nil {
		t.Error("rfc5389: 70000-byte attribute encoded")
	}
	if _, err := (&Message{Dialect: Classic, Type: 0xC001}).Encode(); err == nil {
		t.Error("type with top bits set encoded")
	}
	if _, err := (&Message{}).Encode(); err == nil {
		t.Error("message without dialect encoded")
	}
}

// withLength rewrites the header's length field to match b.
func withLength(b []byte) []byte {
	n := len(b) - HeaderSize
	b[2], b[3] = byte(n>>8), byte(n)
	return b
}
