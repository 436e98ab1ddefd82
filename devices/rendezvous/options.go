package rendezvous

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/boxlab/boxlab/sim/scenario"
)

// Options configure the rendezvous server.
type Options struct {
	Port         int               `yaml:"port"`          // UDP port of every control message; default 7700
	Overlay      string            `yaml:"overlay"`       // pool of overlay addresses; default 10.200.0.0/16
	Devices      []DeviceOption    `yaml:"devices"`       // the registry, listed
	Generate     []GenerateOption  `yaml:"generate"`      // the registry, generated (load scenarios)
	Heartbeat    scenario.Duration `yaml:"heartbeat"`     // heartbeat period announced to devices; default 5s
	OfflineAfter scenario.Duration `yaml:"offline_after"` // heartbeat silence before "target offline"; default 3 periods
	Expires      scenario.Duration `yaml:"expires"`       // silence before the registration ends and the address is released; default 60s
	KDF          KDFOption         `yaml:"kdf"`           // Argon2id cost announced to devices
	Secret       string            `yaml:"secret"`        // server secret the per-device salts derive from; default boxlab
	Relay        RelayOption       `yaml:"relay"`         // the TURN relay devices fall back to; none unless relay.server is set
}

// RelayOption names the TURN relay (a server with role turn, or any TURN
// server with the same TURN REST shared secret) and the credentials the
// server hands out for it.
type RelayOption struct {
	Server string            `yaml:"server"` // name of the relay's server node; empty: no relay
	Port   int               `yaml:"port"`   // its UDP port; default 3478
	Secret string            `yaml:"secret"` // TURN REST shared secret, the relay's too; default boxlab-relay
	TTL    scenario.Duration `yaml:"ttl"`    // credential lifetime (wall clock: the relay checks it so); default 10m
}

// DeviceOption is one listed registry entry.
type DeviceOption struct {
	ID       string `yaml:"id"`
	User     string `yaml:"user"` // empty: any user name
	Password string `yaml:"password"`
}

// GenerateOption is a generated set of registry entries: ids from a pattern
// with one %d (0..count-1), passwords DerivedPassword(password_seed, id).
type GenerateOption struct {
	Pattern      string `yaml:"pattern"` // e.g. lin%d-stb0 (the node names of a home group) or stb%d
	Count        int    `yaml:"count"`
	User         string `yaml:"user"`
	PasswordSeed string `yaml:"password_seed"` // default boxlab
}

// KDFOption is the Argon2id cost.
type KDFOption struct {
	Time      uint32 `yaml:"time"`       // passes; default 2
	MemoryKiB uint32 `yaml:"memory_kib"` // default 19456
	Threads   uint8  `yaml:"threads"`    // default 1
}

// DefaultOptions are the server's defaults (an empty registry: every
// scenario says who may register).
func DefaultOptions() *Options {
	return &Options{Port: 7700, Overlay: "10.200.0.0/16", Heartbeat: scenario.Duration(5 * time.Second),
		Expires: scenario.Duration(60 * time.Second), Secret: "boxlab",
		Relay: RelayOption{Port: 3478, Secret: "boxlab-relay", TTL: scenario.Duration(10 * time.Minute)},
		KDF:   KDFOption{Time: DefaultKDF.Time, MemoryKiB: DefaultKDF.MemoryKiB, Threads: DefaultKDF.Threads}}
}

// Check validates the options.
func (o *Options) Check(s *scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	add := func(f, m string, a ...any) {
		errs = append(errs, scenario.FieldError{Field: f, Msg: fmt.Sprintf(m, a...)})
	}
	if o.Port < 1 || o.Port > 65535 {
		add("port", "want a port 1..65535; got %d", o.Port)
	}
	if p, err := netip.ParsePrefix(o.Overlay); err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		add("overlay", "want an IPv4 prefix of /30 or shorter, e.g. 10.200.0.0/16; got %q", o.Overlay)
	}
	if len(o.Devices)+len(o.Generate) == 0 {
		add("devices", "want at least one device in devices or generate")
	}
	if o.Heartbeat <= 0 || o.OfflineAfter < 0 || o.Expires < o.Heartbeat {
		add("heartbeat", "want heartbeat > 0, offline_after >= 0, expires >= heartbeat")
	}
	if o.KDF.Time < 1 || o.KDF.Time > 16 || o.KDF.Threads < 1 || o.KDF.MemoryKiB < 8*uint32(o.KDF.Threads) || o.KDF.MemoryKiB > maxArgonMB<<10 {
		add("kdf", "want time 1..16, threads >= 1, memory_kib 8*threads..%d", maxArgonMB<<10)
	}
	if _, err := o.devices(); err != nil {
		add("devices", "%v", err)
	}
	if r := o.Relay; r.Server != "" {
		if s != nil && !s.HasServer(r.Server) {
			add("relay.server", "no server named %q", r.Server)
		}
		if r.Port < 1 || r.Port > 65535 {
			add("relay.port", "want a port 1..65535; got %d", r.Port)
		}
		if r.Secret == "" || r.TTL < scenario.Duration(time.Minute) {
			add("relay", "want a secret and a ttl of 1m or more")
		}
	}
	return errs
}

// devices expands the listed and generated registry.
func (o *Options) devices() ([]Device, error) {
	var out []Device
	seen := map[string]bool{}
	add := func(d Device) error {
		if d.ID == "" || len(d.ID) > maxString || strings.ContainsFunc(d.ID, func(c rune) bool { return c <= ' ' || c > '~' }) {
			return fmt.Errorf("device id %q: want 1..%d printable ASCII characters without spaces", d.ID, maxString)
		}
		if d.Password == "" {
			return fmt.Errorf("device %q: want a password", d.ID)
		}
		if seen[d.ID] {
			return fmt.Errorf("device %q listed twice", d.ID)
		}
		seen[d.ID] = true
		out = append(out, d)
		return nil
	}
	for _, d := range o.Devices {
		if err := add(Device(d)); err != nil {
			return nil, err
		}
	}
	for _, g := range o.Generate {
		if strings.Count(g.Pattern, "%d") != 1 || strings.Count(g.Pattern, "%") != 1 {
			return nil, fmt.Errorf("generate pattern %q: want exactly one %%d", g.Pattern)
		}
		if g.Count < 1 || g.Count > 1<<20 {
			return nil, fmt.Errorf("generate %q: count %d; want 1..%d", g.Pattern, g.Count, 1<<20)
		}
		seed := g.PasswordSeed
		if seed == "" {
			seed = "boxlab"
		}
		for i := range g.Count {
			id := fmt.Sprintf(g.Pattern, i)
			if err := add(Device{ID: id, User: g.User, Password: DerivedPassword(seed, id)}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (o *Options) offlineAfter() time.Duration {
	if o.OfflineAfter > 0 {
		return time.Duration(o.OfflineAfter)
	}
	return 3 * time.Duration(o.Heartbeat)
}
