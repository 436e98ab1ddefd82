package igd_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/boxlab/boxlab/devices/igd"
)

// The rules any IGD is held to (issue 6, "Conformance"): SSDP answers,
// description validity, each action's success and error paths, leases,
// reboot and WAN address change. Each requirement is one spec per target
// (target_test.go) and one verdict in the report printed after the suite:
// pass; differs (the target deviates the way its expectations, written down
// from what it really does, say: a finding, not a failure); or fail (a
// deviation nobody wrote down, or an expectation that no longer holds).
// A check returns what it saw wrong; it does not know which IGD it runs on.
type requirement struct {
	id    string
	rule  string // what the specification says, with its reference
	v2    bool   // an IGD:2 rule
	check func(l *home) error
}

// expectations map a requirement ID to a regular expression the observed
// deviation of one IGD must match.
type expectations map[string]string

// The LAN hosts and the WAN peer of every lab.
const (
	boxN = "home0-box0"
	pcN  = "home0-pc0"
)

var requirements = []requirement{
	{id: "ssdp-rootdevice", rule: "UDA 1.1 §1.3.3: an M-SEARCH for upnp:rootdevice gets HTTP/1.1 200 OK with ST: upnp:rootdevice, USN: uuid:...::upnp:rootdevice, LOCATION, CACHE-CONTROL: max-age and EXT",
		check: func(l *home) error {
			got := msearchFor(l, boxN, "upnp:rootdevice", time.Second)
			if len(got) != 1 {
				return fmt.Errorf("%d answers; want 1", len(got))
			}
			m := got[0]
			var errs []error
			if !strings.HasPrefix(m, "HTTP/1.1 200 OK\r\n") {
				errs = append(errs, fmt.Errorf("status line %q", strings.SplitN(m, "\r\n", 2)[0]))
			}
			if st := header(m, "ST"); st != "upnp:rootdevice" {
				errs = append(errs, fmt.Errorf("ST %q", st))
			}
			if usn := header(m, "USN"); !regexp.MustCompile(`^uuid:[^:]+::upnp:rootdevice$`).MatchString(usn) {
				errs = append(errs, fmt.Errorf("USN %q", usn))
			}
			if !strings.HasPrefix(header(m, "LOCATION"), "http://") {
				errs = append(errs, fmt.Errorf("LOCATION %q", header(m, "LOCATION")))
			}
			if !regexp.MustCompile(`max-age\s*=\s*\d+`).MatchString(header(m, "CACHE-CONTROL")) {
				errs = append(errs, fmt.Errorf("CACHE-CONTROL %q", header(m, "CACHE-CONTROL")))
			}
			if !regexp.MustCompile(`(?i)\r\nEXT:`).MatchString(m) {
				errs = append(errs, errors.New("no EXT header"))
			}
			return errors.Join(errs...)
		}},
	{id: "ssdp-versions", rule: "UDA 1.1 §1.3.2: searches for InternetGatewayDevice:1 and WANIPConnection:1 are answered (a device answers for lower versions of its types), ST echoed",
		check: func(l *home) error {
			var errs []error
			for _, st := range []string{"urn:schemas-upnp-org:device:InternetGatewayDevice:1", "urn:schemas-upnp-org:service:WANIPConnection:1"} {
				got := msearchFor(l, boxN, st, time.Second)
				if len(got) != 1 || header(got[0], "ST") != st {
					errs = append(errs, fmt.Errorf("%s: %d answers, ST %q", st, len(got), stOf(got)))
				}
			}
			return errors.Join(errs...)
		}},
	{id: "ssdp-all", rule: "UDA 1.1 §1.3.2: ssdp:all gets one answer for the root device, each embedded device and each service: upnp:rootdevice, InternetGatewayDevice, WANDevice, WANConnectionDevice, WANIPConnection",
		check: func(l *home) error {
			got := msearchFor(l, boxN, "ssdp:all", time.Second)
			sts := stOf(got)
			var missing []string
			for _, want := range []string{"upnp:rootdevice", ":device:InternetGatewayDevice:", ":device:WANDevice:", ":device:WANConnectionDevice:", ":service:WANIPConnection:"} {
				if !slices.ContainsFunc(sts, func(st string) bool { return strings.Contains(st, want) }) {
					missing = append(missing, want)
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("no answer with ST %v among %v", missing, sts)
			}
			return nil
		}},
	{id: "ssdp-malformed", rule: "UDA 1.1 §1.3.2: an M-SEARCH without MAN: \"ssdp:discover\" or without ST is not answered; malformed datagrams do not stop the IGD answering",
		check: func(l *home) error {
			c := ssdpListen(l, boxN, false)
			defer c.Close()
			group := netip.MustParseAddrPort("239.255.255.250:1900")
			for _, junk := range []string{"", "\x00\x01", "NOTIFY * HTTP/1.1\r\n\r\n", strings.Repeat("A", 1400)} {
				c.WriteToUDPAddrPort([]byte(junk), group)
			}
			var errs []error
			for what, msg := range map[string]string{
				"without MAN": "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: upnp:rootdevice\r\nMX: 1\r\n\r\n",
				"without ST":  "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n",
			} {
				c.WriteToUDPAddrPort([]byte(msg), group)
				if m, _, ok := recv(c, 1200*time.Millisecond); ok {
					errs = append(errs, fmt.Errorf("answered an M-SEARCH %s: %q", what, strings.SplitN(m, "\r\n", 2)[0]))
					recv(c, 300*time.Millisecond) // a second answer, if any, is not the next one's
				}
			}
			if got := msearchFor(l, boxN, "upnp:rootdevice", time.Second); len(got) != 1 {
				errs = append(errs, fmt.Errorf("afterwards %d answers to upnp:rootdevice; want 1", len(got)))
			}
			return errors.Join(errs...)
		}},
	{id: "description", rule: "UDA 1.1 §2.3, IGD:1/2: the description is a root in urn:schemas-upnp-org:device-1-0 with an InternetGatewayDevice, WANDevice and WANConnectionDevice of one version, a UDN uuid:, and a WANIPConnection with SCPDURL and controlURL",
		check: func(l *home) error {
			root, err := l.description()
			if err != nil {
				return err
			}
			d := root.Device
			v, ok := strings.CutPrefix(d.DeviceType, "urn:schemas-upnp-org:device:InternetGatewayDevice:")
			if !ok {
				return fmt.Errorf("root deviceType %q", d.DeviceType)
			}
			var errs []error
			if !strings.HasPrefix(d.UDN, "uuid:") {
				errs = append(errs, fmt.Errorf("UDN %q", d.UDN))
			}
			if len(d.Devices) == 0 || d.Devices[0].DeviceType != "urn:schemas-upnp-org:device:WANDevice:"+v {
				errs = append(errs, fmt.Errorf("no WANDevice:%s under the IGD", v))
			} else if w := d.Devices[0]; len(w.Devices) == 0 || w.Devices[0].DeviceType != "urn:schemas-upnp-org:device:WANConnectionDevice:"+v {
				errs = append(errs, fmt.Errorf("no WANConnectionDevice:%s under the WANDevice", v))
			}
			svc, err := root.wanIP()
			if err != nil {
				errs = append(errs, err)
			} else if svc.SCPDURL == "" || svc.ControlURL == "" {
				errs = append(errs, fmt.Errorf("WANIPConnection SCPDURL %q controlURL %q", svc.SCPDURL, svc.ControlURL))
			}
			return errors.Join(errs...)
		}},
	{id: "scpd", rule: "WANIPConnection:1 §2.4 (and :2): the SCPD is served and lists the actions AddPortMapping, DeletePortMapping, GetExternalIPAddress, GetGenericPortMappingEntry, GetSpecificPortMappingEntry, GetStatusInfo, GetConnectionTypeInfo; version 2 also AddAnyPortMapping, DeletePortMappingRange, GetListOfPortMappings",
		check: func(l *home) error {
			root, err := l.description()
			if err != nil {
				return err
			}
			svc, err := root.wanIP()
			if err != nil {
				return err
			}
			u, err := l.resolve(svc.SCPDURL)
			if err != nil {
				return err
			}
			code, body, err := l.fetch(u)
			if err != nil {
				return err
			}
			if code != 200 {
				return fmt.Errorf("GET %s: HTTP %d", u, code)
			}
			var sc xmlSCPD
			if err := xmlUnmarshal(body, &sc); err != nil {
				return fmt.Errorf("SCPD %s: %w", u, err)
			}
			want := []string{"AddPortMapping", "DeletePortMapping", "GetExternalIPAddress", "GetGenericPortMappingEntry", "GetSpecificPortMappingEntry", "GetStatusInfo", "GetConnectionTypeInfo"}
			if strings.HasSuffix(svc.ServiceType, ":2") {
				want = append(want, "AddAnyPortMapping", "DeletePortMappingRange", "GetListOfPortMappings")
			}
			var have, missing []string
			for _, a := range sc.Actions {
				have = append(have, a.Name)
			}
			for _, w := range want {
				if !slices.Contains(have, w) {
					missing = append(missing, w)
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("%s lists no %v", svc.ServiceType, missing)
			}
			return nil
		}},
	{id: "external-ip", rule: "WANIPConnection §2.4.18: GetExternalIPAddress returns the gateway's WAN address",
		check: func(l *home) error {
			out, code, err := l.trySOAP(boxN, "GetExternalIPAddress")
			if err != nil || code != 0 {
				return callErr("GetExternalIPAddress", code, err)
			}
			if got := out["NewExternalIPAddress"]; got != l.wan().String() {
				return fmt.Errorf("NewExternalIPAddress %q; the WAN address is %s", got, l.wan())
			}
			return nil
		}},
	{id: "status", rule: "WANIPConnection §2.4.14, §2.4.2: GetStatusInfo says Connected; GetConnectionTypeInfo says IP_Routed",
		check: func(l *home) error {
			var errs []error
			out, code, err := l.trySOAP(boxN, "GetStatusInfo")
			if err != nil || code != 0 {
				errs = append(errs, callErr("GetStatusInfo", code, err))
			} else if out["NewConnectionStatus"] != "Connected" {
				errs = append(errs, fmt.Errorf("NewConnectionStatus %q", out["NewConnectionStatus"]))
			}
			out, code, err = l.trySOAP(boxN, "GetConnectionTypeInfo")
			if err != nil || code != 0 {
				errs = append(errs, callErr("GetConnectionTypeInfo", code, err))
			} else if out["NewConnectionType"] != "IP_Routed" {
				errs = append(errs, fmt.Errorf("NewConnectionType %q", out["NewConnectionType"]))
			}
			return errors.Join(errs...)
		}},
	{id: "add-udp", rule: "WANIPConnection §2.4.16: AddPortMapping (UDP, the requester's own address) succeeds and the mapping forwards an unsolicited datagram from the internet",
		check: func(l *home) error {
			defer l.del(boxN, "UDP", 43100)
			if code, err := l.tryAdd(boxN, "UDP", 43100, 43100, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping", code, err)
			}
			if !l.inboundFrom(9100, boxN, 43100, netip.AddrPortFrom(l.wan(), 43100)) {
				return errors.New("a datagram from the internet to the mapped port did not arrive")
			}
			return nil
		}},
	{id: "add-tcp", rule: "WANIPConnection §2.4.16: AddPortMapping (TCP) succeeds and a TCP connection from the internet to the external port reaches the LAN host",
		check: func(l *home) error {
			ln, err := l.topo.Node(boxN).NS.Listen("tcp4", ":43101")
			if err != nil {
				return err
			}
			defer ln.Close()
			defer l.del(boxN, "TCP", 43101)
			if code, err := l.tryAdd(boxN, "TCP", 43101, 43101, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping", code, err)
			}
			return l.connectFrom("s1", netip.AddrPortFrom(l.wan(), 43101), ln)
		}},
	{id: "specific-entry", rule: "WANIPConnection §2.4.15: GetSpecificPortMappingEntry returns a mapping's internal client and port; an unmapped port is 714 NoSuchEntryInArray",
		check: func(l *home) error {
			defer l.del(boxN, "UDP", 43102)
			if code, err := l.tryAdd(boxN, "UDP", 43102, 43112, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping", code, err)
			}
			var errs []error
			out, code, err := l.trySOAP(boxN, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43102", "NewProtocol", "UDP")
			if err != nil || code != 0 {
				errs = append(errs, callErr("GetSpecificPortMappingEntry", code, err))
			} else if out["NewInternalClient"] != addrOf(l.topo, boxN).String() || out["NewInternalPort"] != "43112" {
				errs = append(errs, fmt.Errorf("NewInternalClient %q NewInternalPort %q", out["NewInternalClient"], out["NewInternalPort"]))
			}
			if _, code, err = l.trySOAP(boxN, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43199", "NewProtocol", "UDP"); code != 714 {
				errs = append(errs, fmt.Errorf("unmapped port: %w", callErr("GetSpecificPortMappingEntry", code, err)))
			}
			return errors.Join(errs...)
		}},
	{id: "generic-entry", rule: "WANIPConnection §2.4.14: GetGenericPortMappingEntry lists the mappings by index from 0; an index past the end is 713 SpecifiedArrayIndexInvalid",
		check: func(l *home) error {
			defer l.del(boxN, "UDP", 43103)
			if code, err := l.tryAdd(boxN, "UDP", 43103, 43103, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping", code, err)
			}
			found := false
			for i := 0; i < 64; i++ {
				out, code, err := l.trySOAP(boxN, "GetGenericPortMappingEntry", "NewPortMappingIndex", strconv.Itoa(i))
				if code == 713 {
					if !found {
						return fmt.Errorf("index %d is 713 and the mapping was not listed before it", i)
					}
					return nil
				}
				if err != nil || code != 0 {
					return callErr(fmt.Sprintf("GetGenericPortMappingEntry %d", i), code, err)
				}
				found = found || out["NewExternalPort"] == "43103" && out["NewInternalClient"] == addrOf(l.topo, boxN).String()
			}
			return errors.New("no 713 within 64 indexes")
		}},
	{id: "conflict-718", rule: "WANIPConnection §2.4.16: another host asking for an external port and protocol already mapped gets 718 ConflictInMappingEntry; the first mapping stays",
		check: func(l *home) error {
			defer l.del(boxN, "UDP", 43104)
			if code, err := l.tryAdd(boxN, "UDP", 43104, 43104, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping", code, err)
			}
			if code, err := l.tryAdd(pcN, "UDP", 43104, 43104, 3600); code != 718 {
				return fmt.Errorf("second host: %w", callErr("AddPortMapping", code, err))
			}
			out, code, err := l.trySOAP(boxN, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43104", "NewProtocol", "UDP")
			if err != nil || code != 0 || out["NewInternalClient"] != addrOf(l.topo, boxN).String() {
				return fmt.Errorf("the first mapping after the conflict: %v, %w", out, callErr("GetSpecificPortMappingEntry", code, err))
			}
			return nil
		}},
	{id: "refresh", rule: "WANIPConnection §2.4.16: the same host adding the same mapping again succeeds (a lease refresh), and it still forwards",
		check: func(l *home) error {
			defer l.del(boxN, "UDP", 43105)
			for i := 0; i < 2; i++ {
				if code, err := l.tryAdd(boxN, "UDP", 43105, 43105, 3600); err != nil || code != 0 {
					return fmt.Errorf("add #%d: %w", i+1, callErr("AddPortMapping", code, err))
				}
			}
			if !l.inboundFrom(9105, boxN, 43105, netip.AddrPortFrom(l.wan(), 43105)) {
				return errors.New("the refreshed mapping does not forward")
			}
			return nil
		}},
	{id: "delete", rule: "WANIPConnection §2.4.17: DeletePortMapping removes the mapping (a new flow no longer passes); deleting it again is 714 NoSuchEntryInArray",
		check: func(l *home) error {
			if code, err := l.tryAdd(boxN, "UDP", 43106, 43106, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping", code, err)
			}
			var errs []error
			if _, code, err := l.trySOAP(boxN, "DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", "43106", "NewProtocol", "UDP"); err != nil || code != 0 {
				errs = append(errs, callErr("DeletePortMapping", code, err))
			}
			if l.passes(9106, boxN, 43106, netip.AddrPortFrom(l.wan(), 43106)) {
				errs = append(errs, errors.New("a new flow still passes after the delete"))
			}
			if _, code, err := l.trySOAP(boxN, "DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", "43106", "NewProtocol", "UDP"); code != 714 {
				errs = append(errs, fmt.Errorf("second delete: %w", callErr("DeletePortMapping", code, err)))
			}
			return errors.Join(errs...)
		}},
	{id: "wildcard-716", rule: "WANIPConnection:1 §2.4.16, :2 §2.5.16: NewExternalPort 0 (wildcard) in AddPortMapping is 716 WildCardNotPermittedInExtPort",
		check: func(l *home) error {
			if code, err := l.tryAdd(boxN, "UDP", 0, 43107, 3600); code != 716 {
				l.del(boxN, "UDP", 43107)
				return callErr("AddPortMapping with external port 0", code, err)
			}
			return nil
		}},
	{id: "invalid-args-402", rule: "UDA 1.1 §3.2.2: an action without its arguments is 402 Invalid Args",
		check: func(l *home) error {
			if _, code, err := l.trySOAP(boxN, "AddPortMapping", "NewExternalPort", "43108"); code != 402 {
				return callErr("AddPortMapping with only NewExternalPort", code, err)
			}
			return nil
		}},
	{id: "invalid-action-401", rule: "UDA 1.1 §3.2.2: a SOAPAction naming another action than the body's, or an action the service does not have, is 401 Invalid Action",
		check: func(l *home) error {
			var errs []error
			body := envelope("GetExternalIPAddress", l.service())
			if _, code, err := l.tryPost(boxN, l.control(), l.service()+"#DeletePortMapping", body); code != 401 {
				errs = append(errs, fmt.Errorf("SOAPAction DeletePortMapping on a GetExternalIPAddress body: %w", callErr("", code, err)))
			}
			if _, code, err := l.tryPost(boxN, l.control(), l.service()+"#Frobnicate", envelope("Frobnicate", l.service())); code != 401 {
				errs = append(errs, fmt.Errorf("action Frobnicate: %w", callErr("", code, err)))
			}
			return errors.Join(errs...)
		}},
	{id: "hostile-xml", rule: "Robustness (issue 6 \"bad input\"): an entity-expansion (XML bomb) request and a 64 KiB body are refused with an error, and the IGD answers the next request",
		check: func(l *home) error {
			var errs []error
			bomb := strings.Replace(string(envelope("GetExternalIPAddress", l.service())), `<?xml version="1.0"?>`,
				`<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`, 1)
			bomb = strings.Replace(bomb, "</u:GetExternalIPAddress>", "<x>&c;</x></u:GetExternalIPAddress>", 1)
			if _, code, err := l.tryPost(boxN, l.control(), l.service()+"#GetExternalIPAddress", []byte(bomb)); code == 0 && err == nil {
				errs = append(errs, errors.New("an XML bomb (DTD entities) was answered as a success"))
			}
			if _, code, err := l.tryPost(boxN, l.control(), l.service()+"#GetExternalIPAddress", []byte(strings.Repeat("<", 64<<10))); code == 0 && err == nil {
				errs = append(errs, errors.New("a 64 KiB body of '<' was answered as a success"))
			}
			if out, code, err := l.trySOAP(boxN, "GetExternalIPAddress"); err != nil || code != 0 || out["NewExternalIPAddress"] != l.wan().String() {
				errs = append(errs, fmt.Errorf("afterwards: %w", callErr("GetExternalIPAddress", code, err)))
			}
			return errors.Join(errs...)
		}},
	{id: "lease-expiry", rule: "WANIPConnection §2.3.16: a mapping whose NewLeaseDuration (2 s) runs out unrenewed is removed: GetSpecificPortMappingEntry is 714 and a new flow no longer passes",
		check: func(l *home) error {
			defer l.del(boxN, "UDP", 43109)
			if code, err := l.tryAdd(boxN, "UDP", 43109, 43109, 2); err != nil || code != 0 {
				return callErr("AddPortMapping with a 2 s lease", code, err)
			}
			time.Sleep(3 * time.Second)
			var errs []error
			if out, code, err := l.trySOAP(boxN, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43109", "NewProtocol", "UDP"); code != 714 {
				errs = append(errs, fmt.Errorf("3 s after a 2 s lease: %w (NewLeaseDuration %q)", callErr("GetSpecificPortMappingEntry", code, err), out["NewLeaseDuration"]))
			}
			if l.passes(9109, boxN, 43109, netip.AddrPortFrom(l.wan(), 43109)) {
				errs = append(errs, errors.New("3 s after a 2 s lease a new flow still passes"))
			}
			return errors.Join(errs...)
		}},
	{id: "v2-lease-max", v2: true, rule: "WANIPConnection:2 §2.3.16: on IGD:2 a NewLeaseDuration of 0 means the maximum, 604800 s (a week), not a permanent mapping",
		check: func(l *home) error {
			defer l.del(boxN, "UDP", 43110)
			if _, code, err := l.trySOAP(boxN, "AddPortMapping", l.addArgs(boxN, "UDP", 43110, 43110, 0)...); err != nil || code != 0 {
				return callErr("AddPortMapping with lease 0", code, err)
			}
			out, code, err := l.trySOAP(boxN, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43110", "NewProtocol", "UDP")
			if err != nil || code != 0 {
				return callErr("GetSpecificPortMappingEntry", code, err)
			}
			if d, err := strconv.Atoi(out["NewLeaseDuration"]); err != nil || d <= 604000 || d > 604800 {
				return fmt.Errorf("NewLeaseDuration %q; want about 604800", out["NewLeaseDuration"])
			}
			return nil
		}},
	{id: "v2-add-any", v2: true, rule: "WANIPConnection:2 §2.5.17: AddAnyPortMapping for an external port another host holds returns another free NewReservedPort, which forwards",
		check: func(l *home) error {
			defer l.del(boxN, "UDP", 43111)
			if code, err := l.tryAdd(boxN, "UDP", 43111, 43111, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping", code, err)
			}
			out, code, err := l.trySOAP(pcN, "AddAnyPortMapping", l.addArgs(pcN, "UDP", 43111, 43111, 600)...)
			if err != nil || code != 0 {
				return callErr("AddAnyPortMapping", code, err)
			}
			p, _ := strconv.Atoi(out["NewReservedPort"])
			defer l.del(pcN, "UDP", p)
			if p <= 0 || p == 43111 {
				return fmt.Errorf("NewReservedPort %q", out["NewReservedPort"])
			}
			if !l.inboundFrom(9111, pcN, 43111, netip.AddrPortFrom(l.wan(), uint16(p))) {
				return fmt.Errorf("the reserved port %d does not forward", p)
			}
			return nil
		}},
	{id: "v2-list-delete-range", v2: true, rule: "WANIPConnection:2 §2.5.20, §2.5.18: GetListOfPortMappings lists a port range's mappings in a PortMappingList; DeletePortMappingRange removes them",
		check: func(l *home) error {
			for _, p := range []int{43120, 43121} {
				if code, err := l.tryAdd(boxN, "TCP", p, p, 3600); err != nil || code != 0 {
					return callErr("AddPortMapping", code, err)
				}
			}
			defer l.del(boxN, "TCP", 43120)
			defer l.del(boxN, "TCP", 43121)
			var errs []error
			out, code, err := l.trySOAP(boxN, "GetListOfPortMappings", "NewStartPort", "43120", "NewEndPort", "43129", "NewProtocol", "TCP", "NewManage", "1", "NewNumberOfPorts", "0")
			if err != nil || code != 0 {
				errs = append(errs, callErr("GetListOfPortMappings", code, err))
			} else if list := out["NewPortListing"]; strings.Count(list, "PortMappingEntry>") != 4 || !strings.Contains(list, "PortMappingList") {
				errs = append(errs, fmt.Errorf("NewPortListing %q; want a PortMappingList of 2 entries", list))
			}
			if _, code, err := l.trySOAP(boxN, "DeletePortMappingRange", "NewStartPort", "43120", "NewEndPort", "43121", "NewProtocol", "TCP", "NewManage", "1"); err != nil || code != 0 {
				errs = append(errs, callErr("DeletePortMappingRange", code, err))
			} else if _, code, err := l.trySOAP(boxN, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "43121", "NewProtocol", "TCP"); code != 714 {
				errs = append(errs, fmt.Errorf("after the range delete: %w", callErr("GetSpecificPortMappingEntry", code, err)))
			}
			return errors.Join(errs...)
		}},
	// The lifecycle: these run last, in this order; each leaves the IGD up.
	{id: "notify", rule: "UDA 1.1 §1.2: a stopping IGD sends NOTIFY ssdp:byebye, a starting one NOTIFY ssdp:alive, to 239.255.255.250:1900",
		check: func(l *home) error {
			c := ssdpListen(l, boxN, true)
			defer c.Close()
			l.stop()
			seen := map[string]int{}
			for {
				m, _, ok := recv(c, 700*time.Millisecond)
				if !ok {
					break
				}
				if strings.HasPrefix(m, "NOTIFY ") {
					seen[header(m, "NTS")]++
				}
			}
			l.startAgain()
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) && seen["ssdp:alive"] == 0 {
				if m, _, ok := recv(c, time.Until(deadline)); ok && strings.HasPrefix(m, "NOTIFY ") {
					seen[header(m, "NTS")]++
				}
			}
			var errs []error
			if seen["ssdp:byebye"] == 0 {
				errs = append(errs, errors.New("no ssdp:byebye on stop"))
			}
			if seen["ssdp:alive"] == 0 {
				errs = append(errs, errors.New("no ssdp:alive within 3 s of start"))
			}
			return errors.Join(errs...)
		}},
	{id: "wan-change", rule: "IGD across a WAN address change (seed 003): GetExternalIPAddress reports the new address and a mapping added afterwards forwards on it",
		check: func(l *home) error {
			old := l.wan()
			if _, err := l.topo.ChangeWAN(l.gwNS); err != nil {
				return fmt.Errorf("the lab could not change the WAN address: %w", err)
			}
			defer l.del(boxN, "UDP", 43130)
			var got string
			var gerr error
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				out, code, err := l.trySOAP(boxN, "GetExternalIPAddress")
				if got, gerr = out["NewExternalIPAddress"], callErr("GetExternalIPAddress", code, err); got == l.wan().String() {
					break
				}
			}
			if got != l.wan().String() {
				return fmt.Errorf("NewExternalIPAddress %q (%v) 3 s after the change from %s to %s", got, gerr, old, l.wan())
			}
			if code, err := l.tryAdd(boxN, "UDP", 43130, 43130, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping after the change", code, err)
			}
			if !l.inboundFrom(9130, boxN, 43130, netip.AddrPortFrom(l.wan(), 43130)) {
				return errors.New("a mapping added after the change does not forward on the new address")
			}
			return nil
		}},
	{id: "reboot", rule: "IGD across a gateway reboot (seed 003): the mappings are gone (GetGenericPortMappingEntry 0 is 713, the old mapping does not forward) and new ones forward",
		check: func(l *home) error {
			if code, err := l.tryAdd(boxN, "UDP", 43140, 43140, 3600); err != nil || code != 0 {
				return callErr("AddPortMapping", code, err)
			}
			l.stop()
			if err := errors.Join(l.topo.RebootDown(l.gwNS), l.topo.RebootUp(l.gwNS)); err != nil {
				return fmt.Errorf("the lab could not reboot the gateway: %w", err)
			}
			if l.igd == nil {
				l.admitDNAT()
			}
			l.startAgain()
			var errs []error
			if _, code, err := l.trySOAP(boxN, "GetGenericPortMappingEntry", "NewPortMappingIndex", "0"); code != 713 {
				errs = append(errs, fmt.Errorf("index 0 after the reboot: %w", callErr("GetGenericPortMappingEntry", code, err)))
			}
			if l.passes(9140, boxN, 43140, netip.AddrPortFrom(l.wan(), 43140)) {
				errs = append(errs, errors.New("the mapping made before the reboot still forwards"))
			}
			defer l.del(boxN, "UDP", 43141)
			if code, err := l.tryAdd(boxN, "UDP", 43141, 43141, 3600); err != nil || code != 0 {
				errs = append(errs, callErr("AddPortMapping after the reboot", code, err))
			} else if !l.inboundFrom(9141, boxN, 43141, netip.AddrPortFrom(l.wan(), 43141)) {
				errs = append(errs, errors.New("a mapping made after the reboot does not forward"))
			}
			return errors.Join(errs...)
		}},
}

// One ordered container per target: one lab, every requirement a spec
// (ContinueOnFailure: a failed requirement does not skip the others).
var _ = Describe("IGD requirements, per target (issue 6 conformance; report after the suite)", func() {
	for _, t := range targets() {
		Context(t.name, Ordered, ContinueOnFailure, func() {
			var l *home
			BeforeAll(func() {
				l = newHome("linux", *igd.DefaultOptions())
				t.start(l)
			})
			for _, r := range requirements {
				if r.v2 && !t.v2 {
					continue
				}
				It(r.id+": "+r.rule, func() { judge(t, r, l) })
			}
		})
	}
})

// verdict is what the report after the suite lists for one requirement.
const verdictEntry = "igd-verdict"

// judge runs r's check on l and compares what it saw with t's expectations.
func judge(t target, r requirement, l *home) {
	GinkgoHelper()
	err := r.check(l)
	seen := ""
	if err != nil {
		seen = strings.ReplaceAll(err.Error(), "\n", "; ") // errors.Join
	}
	want, known := t.expect[r.id]
	record := func(v, detail string) {
		AddReportEntry(verdictEntry, strings.Join([]string{t.name, r.id, v, detail}, "\t"), ReportEntryVisibilityNever)
	}
	switch {
	case err == nil && !known:
		record("pass", "")
	case err == nil:
		record("fail", "conforms now; the expectation is stale: "+want)
		Fail(fmt.Sprintf("%s now conforms to %s: remove its expectation %q", t.name, r.id, want))
	case !known:
		record("fail", seen)
		Fail(fmt.Sprintf("%s: %s\nrule: %s", r.id, seen, r.rule))
	case regexp.MustCompile(want).MatchString(seen):
		record("differs", seen)
	default:
		record("fail", "differs otherwise than expected: "+seen)
		Fail(fmt.Sprintf("%s: %s deviates otherwise than its expectation %q: %s", r.id, t.name, want, seen))
	}
}

// The per-requirement report: one line per target and requirement.
var _ = ReportAfterSuite("IGD requirements report", func(rep Report) {
	var lines []string
	for _, s := range rep.SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name == verdictEntry {
				lines = append(lines, e.StringRepresentation())
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	sort.SliceStable(lines, func(i, j int) bool {
		return strings.SplitN(lines[i], "\t", 2)[0] < strings.SplitN(lines[j], "\t", 2)[0]
	})
	var b strings.Builder
	b.WriteString("\nIGD requirements (target, requirement, verdict, what was seen):\n")
	for _, line := range lines {
		b.WriteString("  " + line + "\n")
	}
	fmt.Print(b.String())
})

func stOf(msgs []string) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, header(m, "ST"))
	}
	return out
}

func callErr(action string, code int, err error) error {
	if action == "" {
		action = "the request"
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", action, err)
	case code == 0:
		return fmt.Errorf("%s succeeded", action)
	case code < 0:
		return fmt.Errorf("%s: HTTP %d without a UPnP error code", action, -code)
	}
	return fmt.Errorf("%s: UPnP error %d", action, code)
}

// service is the WANIPConnection service type requests name: version 1,
// which an IGD:2 accepts too.
func (l *home) service() string { return "urn:schemas-upnp-org:service:WANIPConnection:1" }

func envelope(action, svc string, args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:%s xmlns:u="%s">`, action, svc)
	for i := 0; i+1 < len(args); i += 2 {
		fmt.Fprintf(&b, "<%s>%s</%s>", args[i], args[i+1], args[i])
	}
	fmt.Fprintf(&b, "</u:%s></s:Body></s:Envelope>", action)
	return []byte(b.String())
}

// trySOAP calls action on WANIPConnection:1 (:2 for the v2 actions) as
// node; unlike soap it does not fail the spec on a transport error.
func (l *home) trySOAP(node, action string, args ...string) (map[string]string, int, error) {
	svc := l.service()
	switch action {
	case "AddAnyPortMapping", "GetListOfPortMappings", "DeletePortMappingRange":
		svc = strings.TrimSuffix(svc, "1") + "2"
	}
	return l.tryPost(node, l.control(), svc+"#"+action, envelope(action, svc, args...))
}

func (l *home) addArgs(node, proto string, ext, in, lease int) []string {
	return []string{"NewRemoteHost", "", "NewExternalPort", strconv.Itoa(ext), "NewProtocol", proto,
		"NewInternalPort", strconv.Itoa(in), "NewInternalClient", addrOf(l.topo, node).String(), "NewEnabled", "1",
		"NewPortMappingDescription", "conformance", "NewLeaseDuration", strconv.Itoa(lease)}
}

func (l *home) tryAdd(node, proto string, ext, in, lease int) (int, error) {
	_, code, err := l.trySOAP(node, "AddPortMapping", l.addArgs(node, proto, ext, in, lease)...)
	return code, err
}

// del deletes a mapping, ignoring the outcome (cleanup).
func (l *home) del(node, proto string, ext int) {
	l.trySOAP(node, "DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", strconv.Itoa(ext), "NewProtocol", proto)
}

func (l *home) fetch(u string) (int, []byte, error) {
	resp, err := l.httpFrom(boxN).Get(u)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// connectFrom dials ext over TCP from node and says whether ln accepted it.
func (l *home) connectFrom(node string, ext netip.AddrPort, ln net.Listener) error {
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := l.topo.Node(node).NS.DialContext(ctx, "tcp4", ext.String())
	if err != nil {
		return fmt.Errorf("TCP connect from the internet to %s: %w", ext, err)
	}
	c.Close()
	select {
	case <-accepted:
		return nil
	case <-time.After(2 * time.Second):
		return fmt.Errorf("TCP connect to %s succeeded but the LAN host accepted nothing", ext)
	}
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }
