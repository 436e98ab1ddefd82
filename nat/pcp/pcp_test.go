package pcp

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"
)

var (
	client = netip.MustParseAddr("192.168.1.100")
	nonce  = [12]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
)

func mapReq(opts ...Option) Request {
	return Request{Opcode: OpMap, Lifetime: 600, Client: client, Nonce: nonce, Protocol: ProtoUDP,
		InternalPort: 7000, ExternalPort: 7000, ExternalAddr: AnyV4, Options: opts}
}

func TestRequestWire(t *testing.T) {
	w := mapReq().Append(nil)
	if len(w) != HeaderLen+mapLen {
		t.Fatalf("RFC 6887 §11.1: MAP request is 24+36 octets; got %d", len(w))
	}
	if w[0] != 2 || w[1] != 1 {
		t.Fatalf("RFC 6887 §7.1: version 2, R=0, opcode 1; got % x", w[:2])
	}
	if !bytes.Equal(w[8:24], append(make([]byte, 10), 0xff, 0xff, 192, 168, 1, 100)) {
		t.Fatalf("RFC 6887 §5: client address is IPv4-mapped; got % x", w[8:24])
	}
	if !bytes.Equal(w[44:60], append(make([]byte, 10), 0xff, 0xff, 0, 0, 0, 0)) {
		t.Fatalf("RFC 6887 §11.1: no preference for an IPv4 external address is ::ffff:0.0.0.0; got % x", w[44:60])
	}
	if w[36] != ProtoUDP {
		t.Fatalf("protocol at offset 12 of the MAP payload; got %d", w[36])
	}
}

func TestParseRequest(t *testing.T) {
	withOpts := func(opts ...Option) []byte { return mapReq(opts...).Append(nil) }
	patch := func(b []byte, at int, v ...byte) []byte { b = bytes.Clone(b); copy(b[at:], v); return b }
	good := withOpts()
	peer := Request{Opcode: OpPeer, Lifetime: 60, Client: client, Nonce: nonce, Protocol: ProtoTCP, InternalPort: 80,
		ExternalAddr: AnyV4, PeerPort: 443, PeerAddr: netip.MustParseAddr("20.0.0.9")}
	for _, tc := range []struct {
		name   string
		in     []byte
		drop   bool
		result Result
	}{
		{"RFC 6887 §11.1: a MAP request", good, false, Success},
		{"RFC 6887 §14.1: an ANNOUNCE request is a bare header", Request{Opcode: OpAnnounce, Client: client}.Append(nil), false, Success},
		{"RFC 6887 §12.1: a PEER request", peer.Append(nil), false, Success},
		{"RFC 6887 §13.1: THIRD_PARTY in MAP", withOpts(ThirdPartyOption(netip.MustParseAddr("192.168.1.50"))), false, Success},
		{"RFC 6887 §13.2: PREFER_FAILURE in MAP", withOpts(PreferFailureOption()), false, Success},
		{"RFC 6887 §13.3: FILTER for one IPv4 host", withOpts(FilterOption(Filter{Prefix: netip.MustParsePrefix("20.0.0.9/32")})), false, Success},
		{"RFC 6887 §7.3: an unknown optional option (>= 128) is ignored", withOpts(Option{Code: 200, Data: []byte{1, 2, 3}}), false, Success},
		{"RFC 6887 §8.3: shorter than 2 octets is dropped", []byte{2}, true, 0},
		{"RFC 6887 §8.3: R bit set is dropped", patch(good, 1, 0x81), true, 0},
		{"RFC 6887 §8.3/§9: version 1 is UNSUPP_VERSION", patch(good, 0, 1), false, UnsuppVersion},
		{"RFC 6887 §8.3: shorter than the header is MALFORMED_REQUEST", good[:20], false, MalformedRequest},
		{"RFC 6887 §8.3: not a multiple of 4 is MALFORMED_REQUEST", append(bytes.Clone(good), 0), false, MalformedRequest},
		{"RFC 6887 §8.3: longer than 1100 is MALFORMED_REQUEST", append(bytes.Clone(good), make([]byte, 1100)...), false, MalformedRequest},
		{"RFC 6887 §11.1: a truncated MAP payload is MALFORMED_REQUEST", good[:40], false, MalformedRequest},
		{"RFC 6887 §11.1: protocol 0 with an internal port is MALFORMED_REQUEST", patch(good, 36, 0), false, MalformedRequest},
		{"RFC 6887 §8.3: opcode 5 is UNSUPP_OPCODE", patch(good, 1, 5), false, UnsuppOpcode},
		{"RFC 6887 §7.3: an unknown mandatory option is UNSUPP_OPTION", withOpts(Option{Code: 99}), false, UnsuppOption},
		{"RFC 6887 §13.1: THIRD_PARTY of 4 octets is MALFORMED_OPTION", withOpts(Option{Code: OptThirdParty, Data: []byte{1, 2, 3, 4}}), false, MalformedOption},
		{"RFC 6887 §13.2: PREFER_FAILURE with data is MALFORMED_OPTION", withOpts(Option{Code: OptPreferFailure, Data: []byte{1, 2, 3, 4}}), false, MalformedOption},
		{"RFC 6887 §13.2: PREFER_FAILURE twice is MALFORMED_OPTION", withOpts(PreferFailureOption(), PreferFailureOption()), false, MalformedOption},
		{"RFC 6887 §13.3: FILTER prefix 40 on an IPv4 address is MALFORMED_OPTION",
			withOpts(Option{Code: OptFilter, Data: append([]byte{0, 40, 0, 0}, append(make([]byte, 10), 0xff, 0xff, 1, 2, 3, 4)...)}), false, MalformedOption},
		{"RFC 6887 §7.3: an option running past the message is MALFORMED_OPTION",
			append(bytes.Clone(good), byte(OptThirdParty), 0, 0, 16), false, MalformedOption},
		{"RFC 6887 §13.2: PREFER_FAILURE in PEER is MALFORMED_OPTION",
			func() []byte { p := peer; p.Options = []Option{PreferFailureOption()}; return p.Append(nil) }(), false, MalformedOption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRequest(tc.in)
			switch {
			case err == nil && (tc.drop || tc.result != Success):
				t.Fatalf("accepted; want drop=%v result %v", tc.drop, tc.result)
			case err != nil && (err.Drop != tc.drop || err.Result != tc.result):
				t.Fatalf("%v (drop %v); want drop=%v result %v", err, err.Drop, tc.drop, tc.result)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, r := range []Request{
		mapReq(ThirdPartyOption(netip.MustParseAddr("192.168.1.50")), PreferFailureOption(),
			FilterOption(Filter{Prefix: netip.MustParsePrefix("20.0.0.0/24"), Port: 53})),
		{Opcode: OpAnnounce, Client: client},
	} {
		got, err := ParseRequest(r.Append(nil))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Append(nil), r.Append(nil)) {
			t.Fatalf("re-encoded differs:\n% x\n% x", got.Append(nil), r.Append(nil))
		}
		if o, ok := Find(got.Options, OptFilter); ok {
			f, err := o.Filter()
			if err != nil || f.Prefix != netip.MustParsePrefix("20.0.0.0/24") || f.Port != 53 {
				t.Fatalf("RFC 6887 §13.3: filter %+v %v", f, err)
			}
		}
		if o, ok := Find(got.Options, OptThirdParty); ok && o.ThirdParty() != netip.MustParseAddr("192.168.1.50") {
			t.Fatalf("RFC 6887 §13.1: third party %v", o.ThirdParty())
		}
	}
	resp := Response{Opcode: OpMap, Result: Success, Lifetime: 600, Epoch: 42, Nonce: nonce, Protocol: ProtoUDP,
		InternalPort: 7000, ExternalPort: 7001, ExternalAddr: netip.MustParseAddr("20.0.0.5")}
	w := resp.Append(nil)
	if w[1] != 0x81 || binary.BigEndian.Uint32(w[8:]) != 42 {
		t.Fatalf("RFC 6887 §7.2: R bit and epoch; got % x", w[:12])
	}
	got, err := ParseResponse(w)
	if err != nil || !reflect.DeepEqual(got, resp) {
		t.Fatalf("parsed %+v %v; want %+v", got, err, resp)
	}
}

func TestErrorResponse(t *testing.T) {
	req := mapReq().Append(nil)
	out := ErrorResponse(req, NotAuthorized, 1800, 7)
	if len(out) != len(req) {
		t.Fatalf("RFC 6887 §7.2: an error response copies the request; length %d want %d", len(out), len(req))
	}
	r, err := ParseResponse(out)
	if err != nil || r.Result != NotAuthorized || r.Lifetime != 1800 || r.Epoch != 7 || r.Nonce != nonce || r.InternalPort != 7000 {
		t.Fatalf("got %+v %v", r, err)
	}
	if v := ErrorResponse([]byte{1, 1}, UnsuppVersion, 1800, 0); len(v) != HeaderLen || v[0] != Version {
		t.Fatalf("RFC 6887 §9: UNSUPP_VERSION is a version-2 header; got % x", v)
	}
	if v := ErrorResponse(make([]byte, 2000), MalformedRequest, 0, 0); len(v) != MaxMessage {
		t.Fatalf("RFC 6887 §7: at most 1100 octets; got %d", len(v))
	}
}
