package pcp

import (
	"bytes"
	"testing"
)

// FuzzParseRequest: any datagram is parsed without panic; what parses
// re-encodes to what parses to the same; every error response is a valid
// response of at most 1100 octets.
func FuzzParseRequest(f *testing.F) {
	f.Add(mapReq().Append(nil))
	f.Add(mapReq(PreferFailureOption(), FilterOption(Filter{})).Append(nil))
	f.Add(Request{Opcode: OpAnnounce, Client: client}.Append(nil))
	f.Add([]byte{2, 2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err != nil {
			if !err.Drop {
				e := ErrorResponse(b, err.Result, 30, 1)
				if len(e) > MaxMessage || len(e) < HeaderLen {
					t.Fatalf("error response of %d octets", len(e))
				}
				if _, perr := ParseResponse(e); perr != nil && perr.Msg != "short opcode payload" {
					t.Fatalf("error response does not parse: %v", perr)
				}
			}
			return
		}
		w := r.Append(nil)
		r2, err := ParseRequest(w)
		if err != nil {
			t.Fatalf("re-encoded request fails: %v", err)
		}
		if !bytes.Equal(r2.Append(nil), w) {
			t.Fatal("encoding is not stable")
		}
	})
}

// FuzzParsePMPRequest: no panic; what parses re-encodes to its own prefix.
func FuzzParsePMPRequest(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add(PMPRequest{Op: 1, InternalPort: 1, ExternalPort: 2, Lifetime: 3}.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParsePMPRequest(b)
		if err != nil {
			return
		}
		w := r.Append(nil)
		if r.Op != PMPOpAddr && !bytes.Equal(w[4:], b[4:12]) {
			t.Fatalf("re-encoded % x from % x", w, b)
		}
	})
}

// FuzzParseResponses: the client-side parsers never panic.
func FuzzParseResponses(f *testing.F) {
	f.Add(PMPResponse{Op: 1, Lifetime: 5}.Append(nil))
	f.Add(Response{Opcode: OpMap}.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParsePMPResponse(b)
		ParseResponse(b)
	})
}
