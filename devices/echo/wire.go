package echo

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// magic starts every echo datagram.
const magic = "BLECHO1"

// maxDatagram bounds what the server answers: a request is one short line.
const maxDatagram = 256

// Request builds the request with sequence number seq.
func Request(seq uint64) []byte {
	return []byte(magic + " " + strconv.FormatUint(seq, 10) + "\n")
}

// ParseRequest returns the sequence number of a request.
func ParseRequest(b []byte) (uint64, error) {
	f, err := fields(b, 2)
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("echo request: bad sequence number %q", f[1])
	}
	return seq, nil
}

// Reply builds the answer to request seq seen from src.
func Reply(seq uint64, src netip.AddrPort) []byte {
	return []byte(magic + " " + strconv.FormatUint(seq, 10) + " " + src.String() + "\n")
}

// ParseReply returns the sequence number and the source the server saw.
func ParseReply(b []byte) (uint64, netip.AddrPort, error) {
	f, err := fields(b, 3)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	seq, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, netip.AddrPort{}, fmt.Errorf("echo reply: bad sequence number %q", f[1])
	}
	seen, err := netip.ParseAddrPort(f[2])
	if err != nil {
		return 0, netip.AddrPort{}, fmt.Errorf("echo reply: bad address %q", f[2])
	}
	return seq, seen, nil
}

func fields(b []byte, n int) ([]string, error) {
	if len(b) > maxDatagram {
		return nil, fmt.Errorf("echo: datagram of %d bytes; want at most %d", len(b), maxDatagram)
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return nil, errors.New("echo: want one line ending in \\n")
	}
	f := strings.Split(s, " ")
	if len(f) != n || f[0] != magic {
		return nil, fmt.Errorf("echo: want %q and %d fields", magic, n-1)
	}
	return f, nil
}
