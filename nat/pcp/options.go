package pcp

import (
	"encoding/binary"
	"net/netip"
)

// OptionCode is a PCP option code (RFC 6887 §7.3, §19.3): 0..127 are
// mandatory to process, 128..255 optional.
type OptionCode uint8

// The options of RFC 6887 §13.
const (
	OptThirdParty    OptionCode = 1 // §13.1: the internal address the request is for
	OptPreferFailure OptionCode = 2 // §13.2: fail rather than give another external port or address
	OptFilter        OptionCode = 3 // §13.3: only this remote prefix and port may use the mapping
)

// Mandatory says whether a server that does not understand the option must
// refuse the request (UNSUPP_OPTION, §7.3).
func (c OptionCode) Mandatory() bool { return c < 128 }

// Option is one PCP option as on the wire; Data excludes the padding.
type Option struct {
	Code OptionCode
	Data []byte
}

// Filter is the content of a FILTER option: remote peers in Prefix (an
// IPv4 prefix when the address is IPv4-mapped; Bits 0 clears every
// filter) from Port (0 = any port) may use the mapping.
type Filter struct {
	Prefix netip.Prefix
	Port   uint16
}

// ThirdPartyOption asks for a mapping on behalf of internal host a.
func ThirdPartyOption(a netip.Addr) Option {
	d := make([]byte, 16)
	putAddr(d, a)
	return Option{Code: OptThirdParty, Data: d}
}

// PreferFailureOption asks the server to fail rather than substitute.
func PreferFailureOption() Option { return Option{Code: OptPreferFailure} }

// FilterOption restricts the mapping to f's remote peers.
func FilterOption(f Filter) Option {
	d := make([]byte, 20)
	bits := f.Prefix.Bits()
	if f.Prefix.Addr().Is4() {
		bits += 96 // the prefix length counts the IPv4-mapped address's 96 leading bits
	}
	if !f.Prefix.IsValid() {
		bits = 0
	}
	d[1] = byte(bits)
	binary.BigEndian.PutUint16(d[2:], f.Port)
	putAddr(d[4:], f.Prefix.Addr())
	return Option{Code: OptFilter, Data: d}
}

// appendOptions encodes options with their 4-byte headers and padding.
func appendOptions(b []byte, opts []Option) []byte {
	for _, o := range opts {
		b = append(b, byte(o.Code), 0)
		b = binary.BigEndian.AppendUint16(b, uint16(len(o.Data)))
		b = append(b, o.Data...)
		b = append(b, make([]byte, (4-len(o.Data)%4)%4)...)
	}
	return b
}

// parseOptions reads the options after the opcode payload and checks them
// against op (§7.3, §13): a truncated option or one that runs past the
// message is MALFORMED_OPTION, as is a known option with a wrong length,
// a wrong FILTER prefix length, a repeated THIRD_PARTY or PREFER_FAILURE,
// or a known option in an opcode it does not belong to; an unknown
// mandatory option is UNSUPP_OPTION; unknown optional ones are kept.
func parseOptions(b []byte, op Opcode) ([]Option, *Error) {
	var out []Option
	seen := map[OptionCode]bool{}
	for len(b) > 0 {
		if len(b) < 4 {
			return out, bad(MalformedOption, "%d trailing octets are not an option header", len(b))
		}
		code, n := OptionCode(b[0]), int(binary.BigEndian.Uint16(b[2:]))
		padded := (n + 3) &^ 3
		if 4+padded > len(b) {
			return out, bad(MalformedOption, "option %d of length %d runs past the message", code, n)
		}
		o := Option{Code: code, Data: b[4 : 4+n : 4+n]}
		b = b[4+padded:]
		switch code {
		case OptThirdParty:
			if n != 16 {
				return out, bad(MalformedOption, "THIRD_PARTY of length %d; want 16", n)
			}
			if op == OpAnnounce {
				return out, bad(MalformedOption, "THIRD_PARTY in ANNOUNCE")
			}
		case OptPreferFailure:
			if n != 0 {
				return out, bad(MalformedOption, "PREFER_FAILURE of length %d; want 0", n)
			}
			if op != OpMap {
				return out, bad(MalformedOption, "PREFER_FAILURE in %v; only MAP", op)
			}
		case OptFilter:
			if n != 20 {
				return out, bad(MalformedOption, "FILTER of length %d; want 20", n)
			}
			if op != OpMap {
				return out, bad(MalformedOption, "FILTER in %v; only MAP", op)
			}
			if _, err := o.Filter(); err != nil {
				return out, err
			}
		default:
			if code.Mandatory() {
				return out, bad(UnsuppOption, "mandatory option %d not supported", code)
			}
		}
		if seen[code] && code != OptFilter {
			return out, bad(MalformedOption, "option %d repeated", code)
		}
		seen[code] = true
		out = append(out, o)
	}
	return out, nil
}

// ThirdParty is the internal address of a THIRD_PARTY option.
func (o Option) ThirdParty() netip.Addr { return getAddr(o.Data) }

// Filter decodes a FILTER option; a prefix length that does not fit its
// address family (over 128, or under 96 for an IPv4-mapped address other
// than 0) is MALFORMED_OPTION (§13.3).
func (o Option) Filter() (Filter, *Error) {
	if len(o.Data) != 20 {
		return Filter{}, bad(MalformedOption, "FILTER of length %d; want 20", len(o.Data))
	}
	bits := int(o.Data[1])
	a := getAddr(o.Data[4:])
	f := Filter{Port: binary.BigEndian.Uint16(o.Data[2:])}
	switch {
	case bits == 0:
		return f, nil
	case bits > 128:
		return f, bad(MalformedOption, "FILTER prefix length %d", bits)
	case a.Is4():
		if bits < 96 {
			return f, bad(MalformedOption, "FILTER prefix length %d for an IPv4 address; want 96..128", bits)
		}
		bits -= 96
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return f, bad(MalformedOption, "FILTER prefix: %v", err)
	}
	f.Prefix = p
	return f, nil
}

// Find returns the first option with code c.
func Find(opts []Option, c OptionCode) (Option, bool) {
	for _, o := range opts {
		if o.Code == c {
			return o, true
		}
	}
	return Option{}, false
}
