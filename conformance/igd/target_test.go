package igd_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The IGD under test. The requirement specs (requirements_test.go) run
// against every target: boxlab's own igd (in process), Debian's miniupnpd
// when it is installed (testdata/miniupnpd-igd.sh, an exec target like any
// other; with BOXLAB_IGD_MINIUPNPD_V1 set also its IGDv1 description), and
// the command in BOXLAB_IGD_UNDER_TEST when it is set.
//
// The exec contract (BOXLAB_IGD_UNDER_TEST, README "Conformance of a real
// IGD"): the value is a shell command line, run with sh -c inside the
// gateway namespace of a one-home lab (kernel NAT, profile linux: nftables
// table "ip boxlab" masquerades the LAN 192.168.1.0/24 out of the WAN
// address, a non-reserved 20.0.0.0/16 one). Its environment:
//
//	BOXLAB_NODE        the gateway node (home0-gw)
//	BOXLAB_WAN_IF      the WAN interface (wan0); BOXLAB_WAN_ADDR its address
//	BOXLAB_LAN_IF      the LAN bridge; BOXLAB_LAN_ADDR the gateway's LAN
//	                   address, BOXLAB_LAN_PREFIX the LAN prefix
//	BOXLAB_STATE_DIR   an empty folder of this lab, kept across restarts
//	BOXLAB_IGD_VERSION the IGD version the suite hopes for (2); informative
//
// The command must serve UPnP IGD on the LAN address (SSDP on
// 239.255.255.250:1900, description and control over HTTP) and make its
// mappings forward through the namespace's kernel (its own nftables or
// iptables chains; the suite has already inserted "ct status dnat accept"
// at the head of boxlab's forward chain, as a router's firewall admits what
// its IGD maps). It must stay in the foreground, stop on SIGTERM within
// 5 s, and answer an M-SEARCH within 10 s of its start. A gateway reboot
// is: SIGTERM, links down, boxlab's NAT state reset, links up, the command
// started again in the same namespace with the same state folder. Its
// output goes to the spec's log.
const underTestEnv = "BOXLAB_IGD_UNDER_TEST"

// target is one IGD the requirements run against: how to start and stop
// it in a home, and what it is known to do differently (expect).
type target struct {
	name   string
	start  func(l *home) // starts the IGD and sets l.stop
	expect expectations  // requirement ID -> how this IGD deviates; nil: none known
	v2     bool          // serves IGD:2 (its v2 actions are checked)
}

// targets lists the IGDs to check: boxlab's igd always, miniupnpd when
// installed, and the command of BOXLAB_IGD_UNDER_TEST when set.
func targets() []target {
	ts := []target{{name: "boxlab igd", v2: true, start: func(l *home) {
		l.startIGD()
		DeferCleanup(func() { l.igd.Close() }) // the one running at the end
		l.stop = func() { l.igd.Close() }
		l.startAgain = l.startIGD
	}}}
	if _, err := exec.LookPath("miniupnpd"); err == nil {
		ts = append(ts, target{name: "miniupnpd", v2: true, expect: miniupnpdExpect, start: func(l *home) {
			l.startExec("sh " + testdata("miniupnpd-igd.sh"))
		}})
		// Its IGDv1 description (force_igd_desc_v1), on request: another
		// 25 s that make test does not spend.
		if os.Getenv("BOXLAB_IGD_MINIUPNPD_V1") != "" {
			ts = append(ts, target{name: "miniupnpd IGDv1", expect: miniupnpdV1Expect, start: func(l *home) {
				l.startExec("MINIUPNPD_V1=yes sh " + testdata("miniupnpd-igd.sh"))
			}})
		}
	}
	if cmd := os.Getenv(underTestEnv); cmd != "" {
		ts = append(ts, target{name: underTestEnv, v2: true, start: func(l *home) { l.startExec(cmd) }})
	}
	return ts
}

func testdata(name string) string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "testdata", name)
}

// startExec runs command in the gateway namespace under the exec contract,
// waits for it to answer an M-SEARCH and finds its control URL. l.stop
// stops it; l.restart (a reboot) is set too.
func (l *home) startExec(command string) {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	l.admitDNAT()
	var cmd *exec.Cmd
	var out *bytes.Buffer
	run := func() {
		GinkgoHelper()
		cmd = exec.Command("sh", "-c", command)
		out = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		cmd.Env = append(os.Environ(), "BOXLAB_NODE=home0-gw", "BOXLAB_WAN_IF="+l.gwNS.Uplink, "BOXLAB_WAN_ADDR="+l.wan().String(),
			"BOXLAB_LAN_IF="+l.gwNS.Down[0].Bridge, "BOXLAB_LAN_ADDR="+l.lan.String(), "BOXLAB_LAN_PREFIX="+l.gwNS.Down[0].Prefix.String(),
			"BOXLAB_STATE_DIR="+dir, "BOXLAB_IGD_VERSION=2")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		Expect(l.gwNS.NS.Start(cmd)).To(Succeed(), "start %s", command)
	}
	stopped := true
	l.stop = func() {
		if stopped {
			return
		}
		stopped = true
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		t0 := time.Now()
		select {
		case <-done:
			GinkgoWriter.Printf("%s stopped %v after SIGTERM:\n%s\n", command, time.Since(t0).Round(time.Millisecond), out.String())
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			GinkgoWriter.Printf("%s did not stop within 5 s of SIGTERM; killed:\n%s\n", command, out.String())
		}
	}
	l.startAgain = func() {
		GinkgoHelper()
		run()
		stopped = false
		l.findControl()
	}
	DeferCleanup(func() { l.stop() })
	l.startAgain()
}

// admitDNAT inserts "ct status dnat accept" at the head of boxlab's forward
// chain unless it is there (a reboot's NAT reset rewrites the chain).
func (l *home) admitDNAT() {
	GinkgoHelper()
	list := exec.Command("nft", "list", "chain", "ip", "boxlab", "forward")
	var b bytes.Buffer
	list.Stdout = &b
	Expect(l.gwNS.NS.Start(list)).To(Succeed())
	Expect(list.Wait()).To(Succeed(), "nft list chain ip boxlab forward")
	if strings.Contains(b.String(), "ct status dnat accept") {
		return
	}
	nft := exec.Command("nft", "insert", "rule", "ip", "boxlab", "forward", "ct", "status", "dnat", "accept")
	Expect(l.gwNS.NS.Start(nft)).To(Succeed())
	Expect(nft.Wait()).To(Succeed(), "nft insert rule ip boxlab forward ct status dnat accept")
}

// findControl waits up to 10 s for an answer to an M-SEARCH for
// upnp:rootdevice, then reads the description at its LOCATION for the
// WANIPConnection control URL.
func (l *home) findControl() {
	GinkgoHelper()
	var loc string
	Eventually(func() bool {
		for _, m := range msearchFor(l, "home0-box0", "upnp:rootdevice", 500*time.Millisecond) {
			if loc = header(m, "LOCATION"); loc != "" {
				return true
			}
		}
		return false
	}, 10*time.Second, 100*time.Millisecond).Should(BeTrue(), "the IGD answers an M-SEARCH for upnp:rootdevice")
	l.loc = loc
	root, err := l.description()
	Expect(err).NotTo(HaveOccurred())
	svc, err := root.wanIP()
	Expect(err).NotTo(HaveOccurred())
	u, err := l.resolve(svc.ControlURL)
	Expect(err).NotTo(HaveOccurred())
	l.ctl = u
}

// rootDesc is a device description.
type rootDesc struct {
	XMLName xml.Name  `xml:"root"`
	Device  xmlDevice `xml:"device"`
}

type xmlService struct {
	ServiceType string `xml:"serviceType"`
	SCPDURL     string `xml:"SCPDURL"`
	ControlURL  string `xml:"controlURL"`
}

// wanIP finds the WANIPConnection service under WANDevice/WANConnectionDevice.
func (r *rootDesc) wanIP() (xmlService, error) {
	for _, wan := range r.Device.Devices {
		for _, conn := range wan.Devices {
			for _, s := range conn.Services {
				if strings.HasPrefix(s.ServiceType, "urn:schemas-upnp-org:service:WANIPConnection:") {
					return s, nil
				}
			}
		}
	}
	return xmlService{}, fmt.Errorf("no WANIPConnection service in InternetGatewayDevice/WANDevice/WANConnectionDevice of %s", "the description")
}

// description fetches and parses the description at l.loc.
func (l *home) description() (*rootDesc, error) {
	resp, err := l.httpFrom("home0-box0").Get(l.loc)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", l.loc, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", l.loc, err)
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: HTTP %d", l.loc, resp.StatusCode)
	}
	var root rootDesc
	if err := xml.Unmarshal(body, &root); err != nil {
		return nil, fmt.Errorf("description %s: %w", l.loc, err)
	}
	if root.XMLName.Space != "urn:schemas-upnp-org:device-1-0" {
		return nil, fmt.Errorf("description %s: root element in namespace %q; want urn:schemas-upnp-org:device-1-0", l.loc, root.XMLName.Space)
	}
	return &root, nil
}

// resolve makes ref absolute against the description's location.
func (l *home) resolve(ref string) (string, error) {
	base, err := url.Parse(l.loc)
	if err != nil {
		return "", fmt.Errorf("LOCATION %q: %w", l.loc, err)
	}
	u, err := base.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("URL %q in %s: %w", ref, l.loc, err)
	}
	return u.String(), nil
}
