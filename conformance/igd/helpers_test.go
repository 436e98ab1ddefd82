package igd_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices/igd"
	"github.com/boxlab/boxlab/nat"
	"github.com/boxlab/boxlab/sim/topology"
)

// lab is one home with an IGD on its gateway: s1 on the internet, box and
// pc on the LAN.
type home struct {
	topo *topology.Topology
	igd  *igd.Server
	gwNS *topology.Live
	lan  netip.Addr // gateway LAN address
	opts igd.Options

	// The IGD under test as requirements_test.go sees it: its description
	// and control URLs, how to stop it and start it again (empty loc and
	// ctl: boxlab's igd at base()).
	loc, ctl   string
	stop       func()
	startAgain func()
}

// publicPool is a WAN range miniupnpc does not call reserved, inside our
// own namespaces only (reference §1.1: 198.18/15 is reserved).
const publicPool = "20.0.0.0/16"

func newLab(profile string, opts igd.Options) *home {
	GinkgoHelper()
	l := newHome(profile, opts)
	l.start()
	return l
}

// newHome builds the home without starting the IGD.
func newHome(profile string, opts igd.Options) *home {
	GinkgoHelper()
	topo := build(`
name: spec
duration: 10s
pools: {public: ` + publicPool + `}
topology:
  servers: [{name: s1, role: udp-echo}]
  homes: [{nat: ` + profile + `, devices: [{name: box, role: udp-echo}, {name: pc, role: udp-echo}]}]
`)
	l := &home{topo: topo, gwNS: topo.Node("home0-gw"), opts: opts}
	l.lan = l.gwNS.Down[0].Addr
	return l
}

func (l *home) start() {
	GinkgoHelper()
	l.startIGD()
	s := l.igd
	DeferCleanup(func() { s.Close() })
}

// startIGD starts boxlab's igd on the gateway; the caller closes it.
func (l *home) startIGD() {
	GinkgoHelper()
	pm, ok := l.gwNS.NAT.(nat.PortMapper)
	Expect(ok).To(BeTrue())
	s, err := igd.Start(igd.Config{NS: l.gwNS.NS, Mapper: pm, LAN: l.lan, Options: l.opts, Name: "home0-gw"})
	Expect(err).NotTo(HaveOccurred())
	l.igd = s
	l.loc, l.ctl = l.base()+"/rootDesc.xml", l.base()+"/ctl/IPConn"
}

func (l *home) base() string { return "http://" + netip.AddrPortFrom(l.lan, 5000).String() }

// control is the WANIPConnection control URL.
func (l *home) control() string {
	if l.ctl != "" {
		return l.ctl
	}
	return l.base() + "/ctl/IPConn"
}

// httpFrom is an HTTP client whose connections start in node's namespace.
func (l *home) httpFrom(node string) *http.Client {
	n := l.topo.Node(node)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return n.NS.DialContext(ctx, network, addr)
		}, DisableKeepAlives: true}}
}

// get fetches a path from the IGD as node.
func (l *home) get(node, path string) (int, string) {
	GinkgoHelper()
	resp, err := l.httpFrom(node).Get(l.base() + path)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// soap calls action on WANIPConnection:version as node with args in order;
// it returns the output arguments, or the UPnP error code (0 = success).
func (l *home) soap(node string, version int, action string, args ...string) (map[string]string, int) {
	GinkgoHelper()
	svc := fmt.Sprintf("urn:schemas-upnp-org:service:WANIPConnection:%d", version)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:%s xmlns:u="%s">`, action, svc)
	for i := 0; i+1 < len(args); i += 2 {
		fmt.Fprintf(&b, "<%s>%s</%s>", args[i], args[i+1], args[i])
	}
	fmt.Fprintf(&b, "</u:%s></s:Body></s:Envelope>", action)
	return l.post(node, l.control(), svc+"#"+action, []byte(b.String()))
}

// post sends a SOAP request to url (a path: on base()); it returns the
// output arguments, the UPnP error code, or minus the HTTP status of a
// failure without one.
func (l *home) post(node, url, soapAction string, body []byte) (map[string]string, int) {
	GinkgoHelper()
	out, code, err := l.tryPost(node, url, soapAction, body)
	Expect(err).NotTo(HaveOccurred())
	return out, code
}

// tryPost is post returning a transport error instead of failing the spec.
func (l *home) tryPost(node, url, soapAction string, body []byte) (map[string]string, int, error) {
	if strings.HasPrefix(url, "/") {
		url = l.base() + url
	}
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
	req.Header.Set("SOAPAction", `"`+soapAction+`"`)
	resp, err := l.httpFrom(node).Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		m := regexp.MustCompile(`<errorCode>(\d+)</errorCode>`).FindStringSubmatch(string(out))
		if m == nil {
			return nil, -resp.StatusCode, nil
		}
		code, _ := strconv.Atoi(m[1])
		return nil, code, nil
	}
	res := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<(New\w+)>(.*?)</New\w+>`).FindAllStringSubmatch(string(out), -1) {
		res[m[1]] = m[2]
	}
	return res, 0, nil
}

// add is AddPortMapping as node for its own address.
func (l *home) add(node string, proto string, ext, in int, lease int) int {
	GinkgoHelper()
	_, code := l.soap(node, 1, "AddPortMapping", "NewRemoteHost", "", "NewExternalPort", strconv.Itoa(ext), "NewProtocol", proto,
		"NewInternalPort", strconv.Itoa(in), "NewInternalClient", addrOf(l.topo, node).String(), "NewEnabled", "1",
		"NewPortMappingDescription", "spec", "NewLeaseDuration", strconv.Itoa(lease))
	return code
}

// upnpc runs Debian's upnpc in node's namespace; the spec is skipped if it
// is not installed.
func (l *home) upnpc(node string, args ...string) string {
	GinkgoHelper()
	return l.run("upnpc", node, args...)
}

// run runs a real client program in node's namespace; the spec is skipped
// if it is not installed (upnpc: Debian package miniupnpc; natpmpc: natpmpc).
func (l *home) run(prog, node string, args ...string) string {
	GinkgoHelper()
	path, err := exec.LookPath(prog)
	if err != nil {
		Skip(prog + " not installed: the real-peer interop spec needs it")
	}
	cmd := exec.Command(path, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	Expect(l.topo.Node(node).NS.Start(cmd)).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		Fail(prog + " " + strings.Join(args, " ") + " did not finish in 20 s:\n" + out.String())
	}
	GinkgoWriter.Printf("%s %s:\n%s\n", prog, strings.Join(args, " "), out.String())
	return out.String()
}

// inbound says whether a datagram from s1 to the gateway's WAN port reaches
// a socket node listens on at port.
func (l *home) inbound(node string, port int, ext netip.AddrPort) bool {
	GinkgoHelper()
	return l.inboundFrom(9700, node, port, ext)
}

// inboundFrom is inbound from s1's source port src (a new flow per port:
// conntrack keeps a flow it already let in).
func (l *home) inboundFrom(src int, node string, port int, ext netip.AddrPort) bool {
	GinkgoHelper()
	return l.inboundWithin(3*time.Second, src, node, port, ext)
}

// passes is inboundFrom for a check that expects nothing: 1.5 s of knocks
// (ten of them) that all go unanswered is a closed mapping on a LAN.
func (l *home) passes(src int, node string, port int, ext netip.AddrPort) bool {
	GinkgoHelper()
	return l.inboundWithin(1500*time.Millisecond, src, node, port, ext)
}

func (l *home) inboundWithin(wait time.Duration, src int, node string, port int, ext netip.AddrPort) bool {
	GinkgoHelper()
	c, err := l.topo.Node(node).NS.ListenUDP("udp4", &net.UDPAddr{Port: port})
	Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		send(l.topo, "s1", src, ext, "knock")
		if m, _, ok := recv(c, 150*time.Millisecond); ok && m == "knock" {
			return true
		}
	}
	return false
}

func (l *home) wan() netip.Addr { return addrOf(l.topo, "home0-gw") }
