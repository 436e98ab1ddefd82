package igd

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

const ssdpPort = 1900

var ssdpGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, 255, 250}), ssdpPort)

// maxSSDP is the largest SSDP datagram looked at.
const maxSSDP = 2048

// ssdp answers M-SEARCH on the LAN and sends NOTIFY.
type ssdp struct {
	s    *Server
	c    *net.UDPConn
	done chan struct{}
	wg   sync.WaitGroup
}

func startSSDP(s *Server) (*ssdp, error) {
	c, err := listenSSDP(s.cfg.NS, s.cfg.LAN)
	if err != nil {
		return nil, err
	}
	d := &ssdp{s: s, c: c, done: make(chan struct{})}
	d.wg.Add(2)
	go d.serve()
	go d.announce()
	return d, nil
}

func joinGroup(c *net.UDPConn, lan netip.Addr) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		mreq := &unix.IPMreq{Multiaddr: ssdpGroup.Addr().As4(), Interface: lan.As4()}
		if serr = unix.SetsockoptIPMreq(int(fd), unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); serr != nil {
			return
		}
		if serr = unix.SetsockoptInet4Addr(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_IF, lan.As4()); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 2)
	})
	if err != nil {
		return err
	}
	return serr
}

func (d *ssdp) close() {
	close(d.done)
	d.notify("ssdp:byebye")
	d.c.Close()
	d.wg.Wait()
}

// targets are the notification types of this IGD: root device, each
// device's uuid and type, each service type.
func (d *ssdp) targets() [][2]string { // NT, USN
	s := d.s
	root := "uuid:" + s.uuid(0)
	return [][2]string{
		{"upnp:rootdevice", root + "::upnp:rootdevice"},
		{root, root},
		{s.igdType(), root + "::" + s.igdType()},
		{"uuid:" + s.uuid(1), "uuid:" + s.uuid(1)},
		{s.wanDevType(), "uuid:" + s.uuid(1) + "::" + s.wanDevType()},
		{commonType, "uuid:" + s.uuid(1) + "::" + commonType},
		{"uuid:" + s.uuid(2), "uuid:" + s.uuid(2)},
		{s.wanConnType(), "uuid:" + s.uuid(2) + "::" + s.wanConnType()},
		{s.ipConnType(), "uuid:" + s.uuid(2) + "::" + s.ipConnType()},
	}
}

// matches lists the (ST, USN) answers for a search target: ssdp:all gets
// every target; a versioned URN matches our type of that or a higher
// version (UDA 1.1 §1.3.2), answered with the version asked for.
func (d *ssdp) matches(st string) [][2]string {
	var out [][2]string
	for _, t := range d.targets() {
		switch {
		case st == "ssdp:all" || st == t[0]:
			out = append(out, t)
		case strings.HasPrefix(st, "urn:"):
			base, v, ok := cutVersion(st)
			tb, tv, tok := cutVersion(t[0])
			if ok && tok && base == tb && v <= tv {
				out = append(out, [2]string{st, strings.TrimSuffix(t[1], t[0]) + st})
			}
		}
	}
	return out
}

func cutVersion(urn string) (string, int, bool) {
	i := strings.LastIndexByte(urn, ':')
	if i < 0 {
		return "", 0, false
	}
	var v int
	if _, err := fmt.Sscanf(urn[i+1:], "%d", &v); err != nil || v < 1 {
		return "", 0, false
	}
	return urn[:i], v, true
}

func (d *ssdp) headers() string {
	s := d.s
	s.mu.Lock()
	boot := s.bootID
	s.mu.Unlock()
	return fmt.Sprintf("SERVER: %s\r\nLOCATION: %s\r\nOPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n01-NLS: %d\r\nBOOTID.UPNP.ORG: %d\r\nCONFIGID.UPNP.ORG: 1\r\n",
		serverHeader, s.location(), boot, boot)
}

// MSearch is a parsed M-SEARCH request.
type MSearch struct {
	ST string
	MX int
}

// ParseMSearch parses an SSDP M-SEARCH datagram; anything else (NOTIFY,
// responses, garbage) is an error.
func ParseMSearch(b []byte) (MSearch, error) {
	var m MSearch
	if len(b) > maxSSDP {
		return m, fmt.Errorf("ssdp: datagram of %d bytes", len(b))
	}
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		return m, fmt.Errorf("ssdp: %w", err)
	}
	if r.Method != "M-SEARCH" || r.RequestURI != "*" {
		return m, fmt.Errorf("ssdp: %s %s; want M-SEARCH *", r.Method, r.RequestURI)
	}
	if man := r.Header.Get("MAN"); man != `"ssdp:discover"` {
		return m, fmt.Errorf("ssdp: MAN %q; want \"ssdp:discover\"", man)
	}
	m.ST = strings.TrimSpace(r.Header.Get("ST"))
	if m.ST == "" {
		return m, fmt.Errorf("ssdp: no ST")
	}
	fmt.Sscanf(r.Header.Get("MX"), "%d", &m.MX)
	return m, nil
}

func (d *ssdp) serve() {
	defer d.wg.Done()
	buf := make([]byte, maxSSDP+1)
	for {
		n, from, err := d.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-d.done:
				return
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		m, err := ParseMSearch(buf[:n])
		if err != nil {
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		for _, t := range d.matches(m.ST) {
			msg := fmt.Sprintf("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: %s\r\nUSN: %s\r\nEXT:\r\n%s\r\n", t[0], t[1], d.headers())
			d.c.WriteToUDPAddrPort([]byte(msg), from)
		}
		d.s.log.Info("igd.msearch", "st", m.ST, "from", from.Addr().String())
	}
}

// notify sends one NOTIFY per target to the SSDP group.
func (d *ssdp) notify(nts string) {
	for _, t := range d.targets() {
		msg := fmt.Sprintf("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=%d\r\nNT: %s\r\nUSN: %s\r\nNTS: %s\r\n%s\r\n",
			int(2*time.Duration(d.s.cfg.Options.NotifyInterval).Seconds()), t[0], t[1], nts, d.headers())
		d.c.WriteToUDPAddrPort([]byte(msg), ssdpGroup)
	}
}

// announce sends NOTIFY alive at start and every NotifyInterval.
func (d *ssdp) announce() {
	defer d.wg.Done()
	d.notify("ssdp:alive")
	t := time.NewTicker(time.Duration(d.s.cfg.Options.NotifyInterval))
	defer t.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
			d.notify("ssdp:alive")
		}
	}
}
