package pcp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestParsePMPRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want PMPRequest
		err  error
	}{
		{"RFC 6886 §3.2: external address request is version 0, opcode 0", []byte{0, 0}, PMPRequest{Op: 0}, nil},
		{"RFC 6886 §3.3: UDP map request", []byte{0, 1, 0, 0, 0x1f, 0x40, 0x1f, 0x41, 0, 0, 0x1c, 0x20},
			PMPRequest{Op: 1, InternalPort: 8000, ExternalPort: 8001, Lifetime: 7200}, nil},
		{"RFC 6886 §3.4: TCP delete is lifetime 0", []byte{0, 2, 0, 0, 0x1f, 0x40, 0, 0, 0, 0, 0, 0},
			PMPRequest{Op: 2, InternalPort: 8000}, nil},
		{"RFC 6886 §3.5: version 1 is Unsupported Version", []byte{1, 0}, PMPRequest{Op: 0}, ErrPMPVersion},
		{"RFC 6886 §3.5: opcode 3 is Unsupported Opcode", []byte{0, 3}, PMPRequest{Op: 3}, ErrPMPOpcode},
		{"a response sent to the server is an unsupported opcode", []byte{0, 128}, PMPRequest{Op: 128}, ErrPMPOpcode},
		{"one octet is dropped", []byte{0}, PMPRequest{}, ErrPMPShort},
		{"a map request shorter than 12 octets is dropped", []byte{0, 1, 0, 0, 0x1f}, PMPRequest{Op: 1}, ErrPMPShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePMPRequest(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v; want %v", err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("got %+v; want %+v", got, tc.want)
			}
			if err == nil && !bytes.Equal(got.Append(nil), tc.in) {
				t.Fatalf("re-encoded % x; want % x", got.Append(nil), tc.in)
			}
		})
	}
}

func TestPMPResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   PMPResponse
		wire []byte
	}{
		{"RFC 6886 §3.2: external address response is 12 octets, opcode 128",
			PMPResponse{Op: 0, Epoch: 300, External: netip.MustParseAddr("20.0.0.5")},
			[]byte{0, 128, 0, 0, 0, 0, 1, 44, 20, 0, 0, 5}},
		{"RFC 6886 §3.3: map response is 16 octets, opcode 129 for UDP",
			PMPResponse{Op: 1, Epoch: 1, InternalPort: 7000, ExternalPort: 7001, Lifetime: 3600},
			[]byte{0, 129, 0, 0, 0, 0, 0, 1, 0x1b, 0x58, 0x1b, 0x59, 0, 0, 0x0e, 0x10}},
		{"RFC 6886 §3.5: Unsupported Version is header and epoch only",
			PMPResponse{Op: 0, Result: PMPUnsuppVersion, Epoch: 2},
			[]byte{0, 128, 0, 1, 0, 0, 0, 2}},
		{"RFC 6886 §3.5: Out of resources on a TCP map keeps the map layout",
			PMPResponse{Op: 2, Result: PMPOutOfResources, Epoch: 2, InternalPort: 80},
			[]byte{0, 130, 0, 4, 0, 0, 0, 2, 0, 80, 0, 0, 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.in.Append(nil)
			if !bytes.Equal(w, tc.wire) {
				t.Fatalf("encoded % x; want % x", w, tc.wire)
			}
			got, err := ParsePMPResponse(w)
			if err != nil || got != tc.in {
				t.Fatalf("parsed %+v, %v; want %+v", got, err, tc.in)
			}
		})
	}
	if _, err := ParsePMPResponse([]byte{0, 1, 0, 0, 0, 0, 0, 0}); err == nil {
		t.Fatal("a request parsed as a response")
	}
}

func TestEpoch(t *testing.T) {
	const s = 1_000_000_000
	for _, tc := range []struct {
		name       string
		prev, next uint32
		elapsed    int64 // client seconds between them
		pcp, pmp   bool  // lost?
	}{
		{"both clocks advance together", 100, 160, 60, false, false},
		{"RFC 6887 §8.5: epoch 3 s behind the previous one: lost", 100, 97, 0, true, true},
		{"RFC 6887 §8.5: a reboot: epoch restarts small", 1000, 5, 60, true, true},
		{"RFC 6887 §8.5: one second behind is tolerated", 100, 99, 0, false, false},
		{"RFC 6886 §3.6: server behind 7/8 of client time minus 2 s: lost", 100, 140, 60, true, true},
		{"server runs fast beyond 1/16 + 2 s: PCP says lost, NAT-PMP does not", 100, 200, 60, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e, f Epoch
			e.ObservePCP(tc.prev, 10*s)
			f.ObservePMP(tc.prev, 10*s)
			if got := e.ObservePCP(tc.next, time.Duration(10+tc.elapsed)*s); got != tc.pcp {
				t.Errorf("PCP lost = %v; want %v", got, tc.pcp)
			}
			if got := f.ObservePMP(tc.next, time.Duration(10+tc.elapsed)*s); got != tc.pmp {
				t.Errorf("NAT-PMP lost = %v; want %v", got, tc.pmp)
			}
		})
	}
}
