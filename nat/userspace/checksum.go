package userspace

import "encoding/binary"

// sum adds b to s as big-endian 16-bit words (RFC 1071); an odd last byte is
// padded with zero. The result is not folded.
func sum(b []byte, s uint32) uint32 {
	for len(b) >= 8 {
		s += uint32(binary.BigEndian.Uint16(b)) + uint32(binary.BigEndian.Uint16(b[2:])) +
			uint32(binary.BigEndian.Uint16(b[4:])) + uint32(binary.BigEndian.Uint16(b[6:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// fold folds carries into 16 bits.
func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// checksum is the Internet checksum of b: zero when b holds a correct one.
func checksum(b []byte, initial uint32) uint16 { return ^fold(sum(b, initial)) }

// pseudo is the sum of the IPv4 pseudo-header for a transport checksum.
func pseudo(src, dst []byte, proto uint8, length int) uint32 {
	return sum(src[:4], 0) + sum(dst[:4], 0) + uint32(proto) + uint32(length)
}

// delta accumulates the RFC 1624 difference of replacing old with new (both
// an even number of bytes) for an incremental checksum update.
func delta(d uint32, old, new []byte) uint32 {
	for i := 0; i+1 < len(old); i += 2 {
		d += uint32(^binary.BigEndian.Uint16(old[i:])) + uint32(binary.BigEndian.Uint16(new[i:]))
	}
	return d
}

// adjust applies an accumulated delta to checksum hc (RFC 1624 eq. 3:
// HC' = ~(~HC + ~m + m')).
func adjust(hc uint16, d uint32) uint16 {
	return ^fold(uint32(^hc) + uint32(fold(d)))
}
