package table

import "math/bits"

// portSpace is the set of used ports (or ICMP identifiers) of one protocol
// on one external address: a bitmap of the whole 16-bit space in chunks that
// are allocated on first use, so an idle gateway costs a few hundred bytes.
type portSpace struct {
	chunks [chunks]*[wordsPerChunk]uint64
	used   [chunks]uint16
	cursor uint16 // where the next Sequential search starts
	n      int    // ports in use
}

const (
	wordsPerChunk = 64
	portsPerChunk = wordsPerChunk * 64
	chunks        = 65536 / portsPerChunk
)

// Parity wanted of a port.
const (
	anyParity  = -1
	evenParity = 0
	oddParity  = 1
)

func (s *portSpace) has(p uint16) bool {
	c := s.chunks[p/portsPerChunk]
	return c != nil && c[(p%portsPerChunk)/64]&(1<<(p%64)) != 0
}

func (s *portSpace) set(p uint16) {
	ci := p / portsPerChunk
	if s.chunks[ci] == nil {
		s.chunks[ci] = new([wordsPerChunk]uint64)
	}
	s.chunks[ci][(p%portsPerChunk)/64] |= 1 << (p % 64)
	s.used[ci]++
	s.n++
}

func (s *portSpace) clear(p uint16) {
	ci := p / portsPerChunk
	s.chunks[ci][(p%portsPerChunk)/64] &^= 1 << (p % 64)
	s.used[ci]--
	s.n--
}

// freeWord is the free bits of the 64 ports starting at word w*64.
func (s *portSpace) freeWord(w int) uint64 {
	c := s.chunks[w/wordsPerChunk]
	if c == nil {
		return ^uint64(0)
	}
	return ^c[w%wordsPerChunk]
}

// find returns the first free port of the wanted parity in [lo, hi], searching
// cyclically from start. It looks at no more than (hi-lo)/64+2 words: at most
// about a thousand word operations on a full 16-bit range, whatever the load.
func (s *portSpace) find(lo, hi, start uint16, parity int) (uint16, bool) {
	if start < lo || start > hi {
		start = lo
	}
	wlo, whi, w0 := int(lo/64), int(hi/64), int(start/64)
	n := whi - wlo + 1
	for i := 0; i <= n; i++ {
		w := wlo + (w0-wlo+i)%n
		if s.used[w/wordsPerChunk] == portsPerChunk {
			continue
		}
		free := s.freeWord(w)
		if w == wlo {
			free &= ^uint64(0) << (lo % 64)
		}
		if w == whi {
			free &= ^uint64(0) >> (63 - hi%64)
		}
		if i == 0 {
			free &= ^uint64(0) << (start % 64)
		}
		switch parity {
		case evenParity:
			free &= 0x5555555555555555
		case oddParity:
			free &= 0xAAAAAAAAAAAAAAAA
		}
		if free != 0 {
			return uint16(w*64 + bits.TrailingZeros64(free)), true
		}
	}
	return 0, false
}
