package igd

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/boxlab/boxlab/sim/ns"
)

// Client is a UPnP IGD control point for device roles: discover an IGD on
// the LAN with SSDP, then call WANIPConnection actions. It speaks to any
// IGD, ours or a real daemon's.
type Client struct {
	NS      *ns.NS
	Control string // control URL, after Discover
	Service string // WANIPConnection service type, after Discover
	http    *http.Client
}

// NewClient makes a client whose sockets live in namespace n.
func NewClient(n *ns.NS) *Client {
	return &Client{NS: n, http: &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		DialContext:       func(ctx context.Context, nw, a string) (net.Conn, error) { return n.DialContext(ctx, nw, a) },
		DisableKeepAlives: true}}}
}

// searchResend is how often Discover repeats its M-SEARCH.
const searchResend = 250 * time.Millisecond

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

var locationRE = regexp.MustCompile(`(?i)\r\nLOCATION:\s*(\S+)`)

// Discover sends an M-SEARCH for an InternetGatewayDevice:1 (what every
// IGD answers) and reads the first answer's description for a
// WANIPConnection control URL.
func (c *Client) Discover(ctx context.Context, wait time.Duration) error {
	s, err := c.NS.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return err
	}
	defer s.Close()
	msg := "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n"
	// SSDP is UDP: the M-SEARCH is sent again every searchResend until an
	// answer or the wait ends, as UDA 1.1 §1.3.2 recommends, so one lost
	// at a gateway's boot (before its SSDP socket is up) does not make a
	// device report "no UPnP" for a gateway that has it.
	end := time.Now().Add(wait)
	buf := make([]byte, maxSSDP)
	for next := time.Now(); ; {
		if now := time.Now(); !now.Before(next) {
			if _, err := s.WriteToUDPAddrPort([]byte(msg), ssdpGroup); err != nil {
				return fmt.Errorf("m-search: %w", err)
			}
			next = now.Add(searchResend)
		}
		s.SetReadDeadline(minTime(next, end))
		n, _, err := s.ReadFromUDPAddrPort(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) && time.Now().Before(end) {
			continue
		}
		if err != nil {
			return fmt.Errorf("no IGD answered: %w", err)
		}
		if m := locationRE.FindSubmatch(buf[:n]); m != nil {
			return c.describe(ctx, string(m[1]))
		}
	}
}

func (c *Client) describe(ctx context.Context, location string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", location, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var root struct {
		Services []struct {
			Type    string `xml:"serviceType"`
			Control string `xml:"controlURL"`
		} `xml:"device>deviceList>device>deviceList>device>serviceList>service"`
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(body, &root); err != nil {
		return fmt.Errorf("description %s: %w", location, err)
	}
	base, err := url.Parse(location)
	if err != nil {
		return err
	}
	for _, s := range root.Services {
		if strings.HasPrefix(s.Type, urnService+"WANIPConnection:") {
			u, err := base.Parse(s.Control)
			if err != nil {
				return err
			}
			c.Control, c.Service = u.String(), s.Type
			return nil
		}
	}
	return fmt.Errorf("description %s: no WANIPConnection service", location)
}

// Call runs action with args (name, value pairs in order); a UPnP error
// comes back as a *Fault.
func (c *Client) Call(ctx context.Context, action string, args ...string) (map[string]string, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0"?><s:Envelope xmlns:s="%s" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:%s xmlns:u="%s">`, soapEnvNS, action, c.Service)
	for i := 0; i+1 < len(args); i += 2 {
		fmt.Fprintf(&b, "<%s>%s</%s>", args[i], xmlEscape(args[i+1]), args[i])
	}
	fmt.Fprintf(&b, "</u:%s></s:Body></s:Envelope>", action)
	req, err := http.NewRequestWithContext(ctx, "POST", c.Control, &b)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
	req.Header.Set("SOAPAction", `"`+c.Service+"#"+action+`"`)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != 200 {
		if m := regexp.MustCompile(`<errorCode>(\d+)</errorCode>`).FindSubmatch(out); m != nil {
			code, _ := strconv.Atoi(string(m[1]))
			return nil, &Fault{Code: code}
		}
		return nil, fmt.Errorf("%s: HTTP %d", action, resp.StatusCode)
	}
	res := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<(New\w+)>(.*?)</New\w+>`).FindAllSubmatch(out, -1) {
		res[string(m[1])] = string(m[2])
	}
	return res, nil
}

// Map asks for ext -> internal for lease and returns the external
// endpoint; on 718 it tries the next ports (an IGD:1 has no AddAnyPortMapping).
func (c *Client) Map(ctx context.Context, proto string, internal netip.AddrPort, ext uint16, lease time.Duration) (netip.AddrPort, error) {
	out, err := c.Call(ctx, "GetExternalIPAddress")
	if err != nil {
		return netip.AddrPort{}, err
	}
	ip, err := netip.ParseAddr(out["NewExternalIPAddress"])
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("GetExternalIPAddress: %q", out["NewExternalIPAddress"])
	}
	for try := 0; try < 8; try++ {
		_, err = c.Call(ctx, "AddPortMapping", "NewRemoteHost", "", "NewExternalPort", strconv.Itoa(int(ext)), "NewProtocol", strings.ToUpper(proto),
			"NewInternalPort", strconv.Itoa(int(internal.Port())), "NewInternalClient", internal.Addr().String(), "NewEnabled", "1",
			"NewPortMappingDescription", "boxlab", "NewLeaseDuration", strconv.Itoa(int(lease/time.Second)))
		if f, ok := err.(*Fault); ok && f.Code == ErrOnlyPermanentLeases.Code && lease > 0 {
			lease = 0 // what clients in the wild do on 725
			continue
		}
		if f, ok := err.(*Fault); ok && f.Code == ErrConflict.Code {
			ext++
			continue
		}
		break
	}
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ip, ext), nil
}

// Delete removes the mapping of external port ext (DeletePortMapping).
func (c *Client) Delete(ctx context.Context, proto string, ext uint16) error {
	_, err := c.Call(ctx, "DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", strconv.Itoa(int(ext)), "NewProtocol", strings.ToUpper(proto))
	return err
}
