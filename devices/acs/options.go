package acs

import (
	"fmt"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Name is the role's name in scenarios.
const Name = "acs"

// Roles are the management-server roles.
func Roles() []devices.Role {
	return []devices.Role{{
		Name:    Name,
		Doc:     "TR-069 Annex G management server: CWMP (SOAP) sessions over HTTP, TR-111 STUN keepalives on UDP 3478, online state, operator commands by UDP connection request",
		Options: func() any { return DefaultOptions() },
		New:     func(o any) (devices.Device, error) { return &Server{Options: *o.(*Options)}, nil },
	}}
}

// Options configure the acs role.
type Options struct {
	HTTPPort         int                  `yaml:"http_port"`          // CWMP ACS URL (POST /) and operator API; default 7547
	STUNPort         int                  `yaml:"stun_port"`          // STUN entity and connection-request source; default 3478
	Period           scenario.Duration    `yaml:"period"`             // STUNMinimumKeepAlivePeriod handed to devices; default 20s
	MaxPeriod        scenario.Duration    `yaml:"max_period"`         // STUNMaximumKeepAlivePeriod; default 2 × period
	Missed           int                  `yaml:"missed_periods"`     // offline after this many periods without a keepalive; default 3
	RequireIntegrity bool                 `yaml:"require_integrity"`  // 401-challenge keepalives without USERNAME/MESSAGE-INTEGRITY; default true
	Copies           int                  `yaml:"copies"`             // datagrams per connection request (GenieACS/FreeACS: 3); default 3
	Sender           annexg.SenderVariant `yaml:"sender"`             // connection-request format variant
	Retry            scenario.Duration    `yaml:"retry"`              // first retry of a connection request; doubles; default 5s
	MaxRetry         scenario.Duration    `yaml:"max_retry"`          // cap of the retry wait; default 20s
	Attempts         int                  `yaml:"attempts"`           // connection requests per command before it fails; default 4
	TTL              scenario.Duration    `yaml:"ttl"`                // a command not done this long expires; default 60s
	InFlight         int                  `yaml:"in_flight"`          // commands under way at once (connection request sent, session not over); 0 = no cap (default)
	Auth             httpauth.Scheme      `yaml:"auth"`               // authentication of the CWMP URL: none (default), basic, digest (RFC 7616 SHA-256 and MD5, qop=auth)
	AuthSecret       string               `yaml:"auth_secret"`        // a CPE's password is CPEPassword(auth_secret, its username) unless auth_users names it; "" = auth_users only; default boxlab
	AuthUsers        map[string]string    `yaml:"auth_users"`         // username → password of CPEs (a username is the serial number or OUI-ProductClass-SerialNumber)
	NonceTTL         scenario.Duration    `yaml:"nonce_ttl"`          // a Digest nonce is good this long; default 5m
	TLS              bool                 `yaml:"tls"`                // serve CWMP (and the operator API) over TLS 1.2+ on http_port (conventionally 7548); default false
	CertFile         string               `yaml:"cert_file"`          // with tls: the server certificate chain (PEM); default a per-run CA and a certificate for the ACS's addresses
	KeyFile          string               `yaml:"key_file"`           // with cert_file: its private key (PEM)
	CAFile           string               `yaml:"ca_file"`            // with cert_file: the CA that signed it (PEM), written out as <node>-ca.pem and trusted for client certificates
	ClientCert       ClientCertMode       `yaml:"client_cert"`        // with tls: none (default), request (verified if given), require (a certificate from the CA or no session)
	CertIdentity     bool                 `yaml:"cert_identity"`      // with client_cert: an Inform's connection must carry a certificate whose CommonName is the device (SerialNumber or OUI-ProductClass-SerialNumber); default false
	CRTransport      string               `yaml:"connection_request"` // auto (default: TCP to the ConnectionRequestURL when the device is not behind NAT, else UDP), udp, tcp
	Commands         *Operator            `yaml:"commands"`           // built-in operator; none by default
	Attacker         *Attacker            `yaml:"attacker"`           // built-in on-path attacker; none by default
}

// Operator queues a command for a selector of devices every period, so a
// scenario generates commands without an external client.
type Operator struct {
	Every   scenario.Duration `yaml:"every"`   // default 20s
	Start   scenario.Duration `yaml:"start"`   // first batch; default = every
	Kind    string            `yaml:"kind"`    // reboot, get, set or download; default get
	Param   string            `yaml:"param"`   // get/set: default Device.DeviceInfo.UpTime; download: the URL (default: the ACS's own /firmware/stb-2.0.bin)
	Value   string            `yaml:"value"`   // for set
	Targets string            `yaml:"targets"` // all or online; default online
}

// Attacker makes the ACS node also act as an on-path attacker that can
// spoof the STUN entity's address: every period it sends, per device, a
// keepalive signed with a wrong password and a replay of the device's last
// genuine keepalive (both from another port of this node), and, from the
// STUN socket to the device's binding, a connection request with a forged
// signature, one with a wrong username and a replay of the last genuine one;
// to a device it reaches by TCP connection requests, a GET answering the
// device's Digest challenge with a guessed password and a replay of the last
// Authorization the device accepted.
type Attacker struct {
	Every scenario.Duration `yaml:"every"` // default 15s
	Start scenario.Duration `yaml:"start"` // default = every
}

// DefaultOptions are the defaults.
func DefaultOptions() *Options {
	return &Options{HTTPPort: 7547, STUNPort: 3478, Period: dur(20 * time.Second), Missed: 3, RequireIntegrity: true,
		Copies: 3, Retry: dur(5 * time.Second), MaxRetry: dur(20 * time.Second), Attempts: 4, TTL: dur(60 * time.Second),
		Auth: httpauth.None, AuthSecret: DefaultSecret, NonceTTL: dur(5 * time.Minute), CRTransport: "auto", ClientCert: ClientCertNone}
}

func dur(d time.Duration) scenario.Duration { return scenario.Duration(d) }

// Check validates the options.
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	add := func(f, m string, a ...any) {
		errs = append(errs, scenario.FieldError{Field: f, Msg: fmt.Sprintf(m, a...)})
	}
	for _, p := range []struct {
		f string
		v int
	}{{"http_port", o.HTTPPort}, {"stun_port", o.STUNPort}} {
		if p.v < 1 || p.v > 65535 {
			add(p.f, "want a port 1..65535; got %d", p.v)
		}
	}
	for _, d := range []struct {
		f string
		v scenario.Duration
	}{{"period", o.Period}, {"retry", o.Retry}, {"max_retry", o.MaxRetry}, {"ttl", o.TTL}, {"nonce_ttl", o.NonceTTL}} {
		if d.v <= 0 {
			add(d.f, "want a positive duration; got %v", d.v)
		}
	}
	if o.MaxPeriod != 0 && o.MaxPeriod < o.Period {
		add("max_period", "want at least period (%v); got %v", o.Period, o.MaxPeriod)
	}
	if !o.Auth.Valid() {
		add("auth", "want one of none, basic, digest; got %q", o.Auth)
	}
	if o.Auth != httpauth.None && o.AuthSecret == "" && len(o.AuthUsers) == 0 {
		add("auth_secret", "with auth %s, want a secret or auth_users (no CPE could log in)", o.Auth)
	}
	errs = append(errs, o.checkTLS()...)
	if o.CRTransport != "auto" && o.CRTransport != "udp" && o.CRTransport != "tcp" {
		add("connection_request", "want one of auto, udp, tcp; got %q", o.CRTransport)
	}
	if o.Missed < 1 {
		add("missed_periods", "want at least 1; got %d", o.Missed)
	}
	if o.Copies < 1 || o.Copies > 10 {
		add("copies", "want 1..10; got %d", o.Copies)
	}
	if o.Attempts < 1 {
		add("attempts", "want at least 1; got %d", o.Attempts)
	}
	if o.InFlight < 0 {
		add("in_flight", "want 0 (no cap) or more; got %d", o.InFlight)
	}
	if c := o.Commands; c != nil {
		c.defaults()
		if c.Every <= 0 {
			add("commands.every", "want a positive duration")
		}
		if !validKind(c.Kind) {
			add("commands.kind", "want one of reboot, get, set, download; got %q", c.Kind)
		}
		if c.Targets != "all" && c.Targets != "online" {
			add("commands.targets", "want all or online; got %q", c.Targets)
		}
	}
	if a := o.Attacker; a != nil {
		a.defaults()
		if a.Every <= 0 {
			add("attacker.every", "want a positive duration")
		}
	}
	return errs
}

func (c *Operator) defaults() {
	if c.Every == 0 {
		c.Every = dur(20 * time.Second)
	}
	if c.Start == 0 {
		c.Start = c.Every
	}
	if c.Kind == "" {
		c.Kind = "get"
	}
	if c.Param == "" && (c.Kind == "get" || c.Kind == "set") {
		c.Param = "Device.DeviceInfo.UpTime"
	}
	if c.Targets == "" {
		c.Targets = "online"
	}
}

func (a *Attacker) defaults() {
	if a.Every == 0 {
		a.Every = dur(15 * time.Second)
	}
	if a.Start == 0 {
		a.Start = a.Every
	}
}

func (o *Options) maxPeriod() time.Duration {
	if o.MaxPeriod == 0 {
		return 2 * time.Duration(o.Period)
	}
	return time.Duration(o.MaxPeriod)
}
