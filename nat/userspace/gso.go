package userspace

import "encoding/binary"

// Veth and macvlan pass TSO super-frames through unsegmented, and AF_PACKET
// delivers them as they are: one TCP "frame" of up to 64 KiB with a partial
// checksum. A reader that sees one switches to big buffers; the datapath
// cuts such frames into MTU-sized segments after translation, as the
// sender's NIC would have.

// bigFrame is the receive buffer size after a GSO super-frame was seen;
// bigBatch the frames per call then.
const (
	bigFrame = 64<<10 + 256
	bigBatch = 8
)

// segmentTCP cuts an IPv4/TCP frame longer than mtu into frames that fit,
// with sequence numbers, IP IDs, flags and checksums as TSO makes them. It
// returns nil if b is not such a frame.
func segmentTCP(b []byte, mtu int) [][]byte {
	ip := b[ethLen:]
	if len(ip) < ipLen+20 || ip[9] != 6 {
		return nil
	}
	tcp := ip[ipLen:]
	hl := int(tcp[12]>>4) * 4
	if hl < 20 || hl > len(tcp) {
		return nil
	}
	mss := mtu - ipLen - hl
	if mss <= 0 {
		return nil
	}
	head := ethLen + ipLen + hl
	payload := b[head:]
	seq := binary.BigEndian.Uint32(tcp[4:])
	id := binary.BigEndian.Uint16(ip[4:])
	flags := tcp[13]
	var out [][]byte
	for off := 0; off < len(payload); off += mss {
		end := min(off+mss, len(payload))
		s := make([]byte, head+end-off)
		copy(s, b[:head])
		copy(s[head:], payload[off:end])
		sip, st := s[ethLen:], s[ethLen+ipLen:]
		binary.BigEndian.PutUint16(sip[2:], uint16(len(s)-ethLen))
		binary.BigEndian.PutUint16(sip[4:], id+uint16(len(out)))
		sip[10], sip[11] = 0, 0
		binary.BigEndian.PutUint16(sip[10:], checksum(sip[:ipLen], 0))
		binary.BigEndian.PutUint32(st[4:], seq+uint32(off))
		f := flags
		if end < len(payload) {
			f &^= 0x01 | 0x08 // FIN and PSH only on the last segment
		}
		if off > 0 {
			f &^= 0x80 // CWR only on the first
		}
		st[13] = f
		st[16], st[17] = 0, 0
		binary.BigEndian.PutUint16(st[16:], checksum(st, pseudo(sip[12:], sip[16:], 6, len(st))))
		out = append(out, s)
	}
	return out
}
