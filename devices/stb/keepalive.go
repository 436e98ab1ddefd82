// The keepalive role. This file and cr*.go are the
// `stb` role of seed 000 (TR-069 Annex G / TR-111 part 2): the box boots and
// opens a CWMP session with its `acs` (Inform "0 BOOTSTRAP"/"1 BOOT" with
// its connection-request addresses; the ACS sets the STUN keepalive
// parameters by SetParameterValues), detects NAT with STUN, keeps its binding open with Binding Requests
// carrying CONNECTION-REQUEST-BINDING (BINDING-CHANGE when its mapped
// address moved), USERNAME and MESSAGE-INTEGRITY after a 401 challenge,
// every period with jitter, from the same UDP socket that listens for UDP
// connection requests. A connection request that passes annexg.Receiver
// opens a CWMP session (Inform "6 CONNECTION REQUEST") in which the ACS
// sends its RPCs (GetParameterValues, SetParameterValues, Reboot, Download)
// (every POST answers the ACS's 401 with ManagementServer.Username/Password,
// Digest preferred over Basic; wrong_password makes a box the ACS must
// refuse; cr_tcp.go serves TCP connection requests with Digest; with
// acs_scheme https the sessions run over TLS with the ACS's certificate
// checked, tls.go)
// and the box answers each; a new mapped address is reported by an Inform
// "4 VALUE CHANGE"; a reboot really restarts the box (new boot, new
// sockets, then Inform "1 BOOT" + "M Reboot").
//
// Sender and receiver variants (dialect, CRB without the trailing space,
// equal-ts, state-before-auth, 32-bit ts, SHA-256, rate limit) are options,
// so a server's tolerance and its own weaknesses can be tested.
//
// Events: stb.boot, stb.booted (after), stb.session (events), stb.rpc
// (method), stb.params_set (key), stb.download (bytes, fault),
// stb.nat_detected, stb.keepalive (rto: its first retransmission timeout,
// rto.go), stb.keepalive_retransmitted (RFC 3489 retransmission of an
// unanswered request; after: the timeout that expired), stb.challenged, stb.mapped,
// stb.binding_changed, stb.cr_accepted, stb.cr_rejected (reason),
// stb.forged_accepted (an attacker's request got through: a test oracle),
// stb.reboot, stb.error, stb.auth_challenged (scheme), stb.auth_refused
// (status), stb.tcp_cr_challenged, stb.tcp_cr_rejected (reason),
// stb.tcp_cr_throttled, stb.tcp_cr_accepted, stb.tls_refused (reason:
// unknown_authority, wrong_host, invalid; the ACS's certificate did not
// verify: tls.go).

package stb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/nat/stun"
	"github.com/boxlab/boxlab/sim/scenario"
)

// KeepaliveName is the role's name in scenarios.
const KeepaliveName = "stb"

// KeepaliveRoles are the keepalive roles of this package.
func KeepaliveRoles() []devices.Role {
	return []devices.Role{{
		Name:    KeepaliveName,
		Doc:     "TR-069 Annex G set-top box: CWMP sessions with an acs, TR-111 STUN keepalives, UDP connection requests, runs commands",
		Options: func() any { return DefaultKeepaliveOptions() },
		New:     func(o any) (devices.Device, error) { return &KeepaliveBox{Options: *o.(*KeepaliveOptions)}, nil },
	}}
}

// KeepaliveOptions configure the stb role.
type KeepaliveOptions struct {
	ACS        string                 `yaml:"acs"`         // required: name of an acs server
	ACSPort    int                    `yaml:"acs_port"`    // default 7547
	ACSPath    string                 `yaml:"acs_path"`    // path of the ACS URL; default /
	Root       string                 `yaml:"root"`        // data-model root: Device. (TR-181, default) or InternetGatewayDevice. (TR-098)
	CRPort     int                    `yaml:"cr_port"`     // local UDP port: keepalives and connection requests; default 7547
	Dialect    string                 `yaml:"dialect"`     // rfc3489 (classic, default) or rfc5389
	CRBSpace   bool                   `yaml:"crb_space"`   // CRB value with its trailing space; default true
	Integrity  string                 `yaml:"integrity"`   // on-challenge (default: first request plain, MI after a 401), always, never
	Jitter     float64                `yaml:"jitter"`      // each period is stretched by up to this fraction; default 0.1
	Period     scenario.Duration      `yaml:"period"`      // override the ACS's period (0 = use it)
	Receiver   annexg.ReceiverVariant `yaml:"receiver"`    // connection-request validation variant
	RateLimit  scenario.Duration      `yaml:"rate_limit"`  // refuse valid requests closer than this (0 = none)
	RebootTime scenario.Duration      `yaml:"reboot_time"` // how long a reboot takes; default 5s
	BootSpread scenario.Duration      `yaml:"boot_spread"` // the first boot waits a random delay up to this (a fleet after a power cut); default 0

	ACSUsername   string          `yaml:"acs_username"`   // ManagementServer.Username, answers the ACS's 401; default the serial number (the node name)
	ACSPassword   string          `yaml:"acs_password"`   // ManagementServer.Password; default acs.CPEPassword(acs_secret, username)
	ACSSecret     string          `yaml:"acs_secret"`     // the secret the default password derives from; default boxlab (the acs's auth_secret)
	WrongPassword bool            `yaml:"wrong_password"` // variant: answer the ACS's challenges with a wrong password (it must refuse them)
	TCPCR         bool            `yaml:"tcp_cr"`         // serve TCP connection requests at the ConnectionRequestURL (TR-069 §3.2.2); default true
	CRAuth        httpauth.Scheme `yaml:"cr_auth"`        // their authentication: digest (default), basic, none (as genieacs-sim)
	CRUsername    string          `yaml:"cr_username"`    // factory ConnectionRequestUsername, until the ACS sets one; default none
	CRPassword    string          `yaml:"cr_password"`    // factory ConnectionRequestPassword, until the ACS sets one

	ACSScheme    string `yaml:"acs_scheme"`     // http (default) or https: TLS 1.2+, the ACS's certificate checked against the trust anchor and the URL's host
	CAFile       string `yaml:"ca_file"`        // with https: the trust anchor (PEM), e.g. the run's <acs>-ca.pem; default the CA the run's acs publishes
	CertFile     string `yaml:"cert_file"`      // with https: the client certificate (PEM) shown when the ACS asks; default one issued by the run's CA to the serial number
	KeyFile      string `yaml:"key_file"`       // with cert_file: its key (PEM)
	TLSForeignCA bool   `yaml:"tls_foreign_ca"` // variant: trust a CA of the box's own, not the ACS's: it must refuse the ACS's certificate and never come online
}

// DefaultKeepaliveOptions are the defaults.
func DefaultKeepaliveOptions() *KeepaliveOptions {
	return &KeepaliveOptions{ACSPort: 7547, ACSPath: "/", Root: cwmp.RootTR181, CRPort: 7547, Dialect: "rfc3489", CRBSpace: true, Integrity: "on-challenge",
		Jitter: 0.1, RebootTime: scenario.Duration(5 * time.Second), ACSSecret: acs.DefaultSecret, TCPCR: true, CRAuth: httpauth.Digest, ACSScheme: "http"}
}

// Check validates the options.
func (o *KeepaliveOptions) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	add := func(f, m string, a ...any) {
		errs = append(errs, scenario.FieldError{Field: f, Msg: fmt.Sprintf(m, a...)})
	}
	if o.ACS == "" {
		add("", `missing "acs"; want the name of an acs server`)
	} else if !s.HasServer(o.ACS) {
		add("acs", "no server named %q", o.ACS)
	}
	for _, p := range []struct {
		f string
		v int
	}{{"acs_port", o.ACSPort}, {"cr_port", o.CRPort}} {
		if p.v < 1 || p.v > 65535 {
			add(p.f, "want a port 1..65535; got %d", p.v)
		}
	}
	if o.Root != cwmp.RootTR181 && o.Root != cwmp.RootTR098 {
		add("root", "want %s or %s; got %q", cwmp.RootTR181, cwmp.RootTR098, o.Root)
	}
	if len(o.ACSPath) == 0 || o.ACSPath[0] != '/' {
		add("acs_path", "want a path starting with /; got %q", o.ACSPath)
	}
	if o.Dialect != "rfc3489" && o.Dialect != "rfc5389" {
		add("dialect", "want rfc3489 or rfc5389; got %q", o.Dialect)
	}
	if o.Integrity != "on-challenge" && o.Integrity != "always" && o.Integrity != "never" {
		add("integrity", "want on-challenge, always or never; got %q", o.Integrity)
	}
	if o.Jitter < 0 || o.Jitter > 1 {
		add("jitter", "want 0..1; got %v", o.Jitter)
	}
	if o.ACSScheme != "http" && o.ACSScheme != "https" {
		add("acs_scheme", "want http or https; got %q", o.ACSScheme)
	}
	if o.ACSScheme != "https" && (o.CAFile != "" || o.CertFile != "" || o.TLSForeignCA) {
		add("acs_scheme", "ca_file, cert_file and tls_foreign_ca need acs_scheme: https")
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		add("cert_file", "want cert_file and key_file together")
	}
	if !o.CRAuth.Valid() {
		add("cr_auth", "want one of none, basic, digest; got %q", o.CRAuth)
	}
	if o.Period < 0 || o.RateLimit < 0 || o.RebootTime < 0 || o.BootSpread < 0 {
		add("period", "want non-negative durations")
	}
	return errs
}

// username is the box's ManagementServer.Username.
func (o *KeepaliveOptions) username(node string) string {
	if o.ACSUsername != "" {
		return o.ACSUsername
	}
	return node
}

// password is the box's ManagementServer.Password.
func (o *KeepaliveOptions) password(node string) string {
	if o.ACSPassword != "" {
		return o.ACSPassword
	}
	return acs.CPEPassword(o.ACSSecret, o.username(node))
}

// KeepaliveBox is a running stb.
type KeepaliveBox struct {
	Options KeepaliveOptions

	model        *model // persistent across reboots
	bootstrapped bool   // a BOOTSTRAP Inform was answered
	rebootKey    string // CommandKey of the Reboot being carried out
}

// errReboot ends one kaLife of the box; Run boots it again.
var errReboot = errors.New("reboot")

// Run boots the box and keeps it alive until ctx ends; a reboot command
// restarts it from boot.
func (b *KeepaliveBox) Run(ctx context.Context, env *devices.Env) error {
	o := &b.Options
	b.model = newModel(o.Root, map[string]string{
		"DeviceInfo.Manufacturer": "boxlab", "DeviceInfo.ManufacturerOUI": "B0B1AB", "DeviceInfo.ProductClass": "stb",
		"DeviceInfo.SerialNumber": env.Node, "DeviceInfo.HardwareVersion": "1", "DeviceInfo.SoftwareVersion": "1.0",
		"ManagementServer.STUNEnable": "false", "ManagementServer.STUNServerPort": "3478",
		"ManagementServer.STUNMinimumKeepAlivePeriod": "0", "ManagementServer.STUNMaximumKeepAlivePeriod": "-1",
		"ManagementServer.NATDetected": "false",
		"ManagementServer.Username":    o.username(env.Node), "ManagementServer.Password": o.password(env.Node),
		"ManagementServer.ConnectionRequestUsername": o.CRUsername, "ManagementServer.ConnectionRequestPassword": o.CRPassword,
	})
	if o.BootSpread > 0 {
		if env.Clock.Sleep(ctx, time.Duration(env.Rand.Float64()*float64(o.BootSpread))) != nil {
			return nil
		}
	}
	for {
		err := (&kaLife{box: b, env: env}).run(ctx)
		if !errors.Is(err, errReboot) {
			return err
		}
		env.Log.Info("stb.reboot")
		if env.Clock.Sleep(ctx, time.Duration(b.Options.RebootTime)) != nil {
			return nil
		}
	}
}

// kaLife is one boot of the box: its sockets and state.
type kaLife struct {
	box     *KeepaliveBox
	env     *devices.Env
	m       *model
	client  *http.Transport
	acsURL  string
	acsHost netip.Addr
	conn    *net.UDPConn
	boot    time.Duration
	rpcSeq  int

	cancel  context.CancelCauseFunc
	trigger chan struct{}
	wg      sync.WaitGroup

	mu        sync.Mutex
	stun      netip.AddrPort
	crPending bool // a connection request was accepted: session with "6 CONNECTION REQUEST"
	changed   bool // UDPConnectionRequestAddress changed: session with "4 VALUE CHANGE"
	transfer  *cwmp.TransferComplete
	mapped    netip.AddrPort
	change    bool // the next keepalive carries BINDING-CHANGE
	useMI     bool
	natSeen   bool
	online    bool
	pending   map[[16]byte]pendingKA
	rto       rto // retransmission timeout from the answers' round trips (RFC 5389 §7.2.1)
	rebooting bool

	auth    *httpauth.Client // answers the ACS's challenges
	lastTCP time.Duration    // when the last TCP connection request was accepted
	anyTCP  bool
}

func (l *kaLife) run(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	o := &l.box.Options
	acsAddr, ok := l.env.Server(o.ACS)
	if !ok {
		return fmt.Errorf("stb: no server %q", o.ACS)
	}
	l.acsHost = acsAddr
	l.acsURL = o.ACSScheme + "://" + netip.AddrPortFrom(acsAddr, uint16(o.ACSPort)).String() + o.ACSPath
	defer func() {
		if l.client != nil {
			l.client.CloseIdleConnections()
		}
	}()
	l.m = l.box.model
	local := netip.AddrPortFrom(l.env.Addr, uint16(o.CRPort))
	l.m.set("ManagementServer.URL", l.acsURL)
	l.m.set("ManagementServer.ConnectionRequestURL", "http://"+local.String()+"/")
	l.m.set("ManagementServer.UDPConnectionRequestAddress", local.String())
	l.m.set("ManagementServer.NATDetected", "false")
	l.boot = l.env.Clock.Now()
	l.useMI = o.Integrity == "always"
	l.change = true // cpe-labs: BINDING-CHANGE on the first request
	l.pending = map[[16]byte]pendingKA{}
	l.auth = &httpauth.Client{Username: l.m.get("ManagementServer.Username"), Password: l.m.get("ManagementServer.Password")}
	if o.WrongPassword {
		l.auth.Password += "-wrong"
	}
	l.env.Log.Info("stb.boot")
	c, err := l.env.NS.ListenUDP("udp4", &net.UDPAddr{Port: o.CRPort})
	if err != nil {
		return fmt.Errorf("stb listen udp %d: %w", o.CRPort, err)
	}
	defer c.Close()
	l.conn = c
	context.AfterFunc(ctx, func() { c.Close() })
	l.cancel = cancel
	l.trigger = make(chan struct{}, 1)
	if o.TCPCR {
		stop, err := l.serveTCPCR(ctx)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := l.report(ctx); err != nil {
		return nil // ctx ended
	}
	l.wg.Add(2)
	go func() { defer l.wg.Done(); l.receive(ctx) }()
	go func() { defer l.wg.Done(); l.sessions(ctx) }()
	l.keepalives(ctx)
	c.Close()
	l.wg.Wait()
	if cause := context.Cause(ctx); errors.Is(cause, errReboot) {
		return errReboot
	}
	return nil
}

// report opens the boot session with the ACS, retrying every 2 s until it
// completes; the ACS sets the STUN parameters in it.
func (l *kaLife) report(ctx context.Context) error {
	for {
		events := []cwmp.Event{{Code: cwmp.EventBoot}}
		if !l.box.bootstrapped {
			events = append([]cwmp.Event{{Code: cwmp.EventBootstrap}}, events...)
		}
		if k := l.box.rebootKey; k != "" {
			events = append(events, cwmp.Event{Code: cwmp.EventMReboot, CommandKey: k})
		}
		var res sessionResult
		var err error
		if l.client == nil {
			l.client, err = l.transport()
		}
		if err == nil {
			res, err = l.session(ctx, events, nil)
		}
		if err == nil {
			l.box.bootstrapped, l.box.rebootKey = true, ""
			l.env.Log.Info("stb.booted", "after", l.env.Clock.Now()-l.boot, "stun_enabled", isTrue(l.m.get("ManagementServer.STUNEnable")))
			l.after(ctx, res)
			return nil
		}
		l.env.Log.Info("stb.error", "during", "boot", "err", err.Error())
		if e := l.env.Clock.Sleep(ctx, 2*time.Second); e != nil {
			return e
		}
	}
}

// stunServer is where keepalives go: STUNServerAddress/Port, or the ACS
// URL's host when the address is empty (TR-181).
func (l *kaLife) stunServer() (netip.AddrPort, bool) {
	if !isTrue(l.m.get("ManagementServer.STUNEnable")) {
		return netip.AddrPort{}, false
	}
	host := l.acsHost
	if a, err := netip.ParseAddr(l.m.get("ManagementServer.STUNServerAddress")); err == nil {
		host = a
	}
	port, err := strconv.Atoi(l.m.get("ManagementServer.STUNServerPort"))
	if err != nil || port <= 0 || port > 65535 {
		port = 3478
	}
	return netip.AddrPortFrom(host, uint16(port)), true
}

// period is the keepalive period with jitter.
func (l *kaLife) period() time.Duration {
	secs, _ := strconv.Atoi(l.m.get("ManagementServer.STUNMinimumKeepAlivePeriod"))
	p := time.Duration(secs) * time.Second
	if o := l.box.Options.Period; o > 0 {
		p = time.Duration(o)
	}
	if p <= 0 {
		p = 30 * time.Second
	}
	return p + time.Duration(l.env.Rand.Float64()*l.box.Options.Jitter*float64(p))
}

// retransmits is how many times an unanswered Binding Request is sent
// again (RFC 3489 §9.3 retransmits; TR-069 Annex G's minimum period does not
// apply to them): after the retransmission timeout (rto.go: 2 s of simulated
// time, or longer once answers have taken longer), then doubling.
const retransmits = 2

// pendingKA is a keepalive transaction waiting for its answer.
type pendingKA struct {
	change bool          // it carried BINDING-CHANGE
	sent   time.Duration // when it was first sent
	resent bool          // it was retransmitted: its answer is no round-trip sample (Karn)
}

func (l *kaLife) keepalives(ctx context.Context) {
	for {
		tid, b, wait := l.sendKeepalive()
		period, slept := l.period(), time.Duration(0)
		for i := 0; i < retransmits && b != nil && slept+wait < period; i++ {
			if l.env.Clock.Sleep(ctx, wait) != nil {
				return
			}
			slept += wait
			l.mu.Lock()
			p, unanswered := l.pending[tid]
			if unanswered {
				p.resent = true
				l.pending[tid] = p
			}
			to := l.stun
			l.mu.Unlock()
			if !unanswered {
				break
			}
			if _, err := l.conn.WriteToUDPAddrPort(b, to); err == nil {
				l.env.Log.Info("stb.keepalive_retransmitted", "after", wait)
			}
			wait *= 2
		}
		if l.env.Clock.Sleep(ctx, period-slept) != nil {
			return
		}
	}
}

// sendKeepalive sends one TR-111 Binding Request from the CR socket.
// It returns the transaction id, the datagram (nil if nothing was sent) and
// its first retransmission timeout.
func (l *kaLife) sendKeepalive() ([16]byte, []byte, time.Duration) {
	o := &l.box.Options
	to, enabled := l.stunServer()
	if !enabled {
		return [16]byte{}, nil, 0
	}
	user, password := l.m.get("ManagementServer.STUNUsername"), l.m.get("ManagementServer.STUNPassword")
	l.mu.Lock()
	l.stun = to
	m := &stun.Message{Type: stun.BindingRequest}
	if o.Dialect == "rfc5389" {
		m.Dialect, m.TransactionID = stun.RFC5389, stun.NewTransactionID()
	} else {
		m.Dialect, m.TransactionID = stun.Classic, stun.NewClassicTransactionID()
	}
	crb := stun.CRBValue
	if !o.CRBSpace {
		crb = crb[:len(crb)-1]
	}
	signed := l.useMI && o.Integrity != "never" && user != ""
	if signed {
		m.Add(stun.AttrUsername, []byte(user))
	}
	m.Add(stun.AttrConnectionRequestBinding, []byte(crb))
	change := l.change
	if change {
		m.Add(stun.AttrBindingChange, nil)
	}
	var b []byte
	var err error
	if signed {
		b, err = stun.EncodeSigned(m, password)
	} else {
		b, err = m.Encode()
	}
	now := l.env.Clock.Now()
	p := pendingKA{change: change, sent: now}
	l.pending[m.TransactionID] = p
	if len(l.pending) > 16 {
		clear(l.pending)
		l.pending[m.TransactionID] = p
	}
	wait := l.rto.timeout(now)
	l.mu.Unlock()
	if err == nil {
		_, err = l.conn.WriteToUDPAddrPort(b, to)
	}
	if err != nil {
		l.env.Log.Info("stb.error", "during", "keepalive", "err", err.Error())
		return [16]byte{}, nil, 0
	}
	l.env.Log.Info("stb.keepalive", "signed", signed, "binding_change", change, "rto", wait)
	return m.TransactionID, b, wait
}

// onSTUN handles a STUN response on the CR socket.
func (l *kaLife) onSTUN(m *stun.Message) {
	l.mu.Lock()
	p, ok := l.pending[m.TransactionID]
	wasChange := p.change
	if !ok {
		l.mu.Unlock()
		l.env.Log.Info("stb.unexpected_stun")
		return
	}
	delete(l.pending, m.TransactionID)
	if !p.resent {
		now := l.env.Clock.Now()
		l.rto.sample(now-p.sent, now)
	}
	if m.Type == stun.BindingError {
		code, _, _ := m.ErrorCode()
		resend := code == 401 && !l.useMI && l.box.Options.Integrity == "on-challenge"
		if resend {
			l.useMI = true
		}
		l.change = l.change || wasChange
		l.mu.Unlock()
		l.env.Log.Info("stb.challenged", "code", code)
		if resend {
			l.sendKeepalive()
		}
		return
	}
	mapped, err := m.Mapped()
	if err != nil {
		l.mu.Unlock()
		l.env.Log.Info("stb.error", "during", "binding response", "err", err.Error())
		return
	}
	local := netip.AddrPortFrom(l.env.Addr, uint16(l.box.Options.CRPort))
	first := !l.mapped.IsValid()
	moved := !first && mapped != l.mapped
	old := l.mapped
	l.mapped = mapped
	if wasChange {
		l.change = false
	}
	if moved {
		l.change = true
	}
	nat := mapped != local && !l.natSeen
	l.natSeen = l.natSeen || mapped != local
	becameOnline := !l.online
	l.online = true
	if first || moved {
		// TR-181: with STUNEnable the UDP connection-request address is the
		// public binding; the ACS hears of the change by a VALUE CHANGE Inform.
		l.m.set("ManagementServer.UDPConnectionRequestAddress", mapped.String())
		l.m.set("ManagementServer.NATDetected", strconv.FormatBool(mapped != local))
		l.changed = true
	}
	l.mu.Unlock()
	if first || moved {
		l.kick()
	}
	if nat {
		l.env.Log.Info("stb.nat_detected", "local", local.String(), "mapped", mapped.String())
	}
	if becameOnline {
		l.env.Log.Info("stb.mapped", "mapped", mapped.String(), "after", l.env.Clock.Now()-l.boot)
	}
	if moved {
		l.env.Log.Info("stb.binding_changed", "old", old.String(), "new", mapped.String())
		l.sendKeepalive() // TR-069 Annex G: tell the ACS at once, with BINDING-CHANGE
	}
}

func netipUnmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
