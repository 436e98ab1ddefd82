package rendezvous

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Device is one registry entry as configured: who may register.
type Device struct {
	ID       string
	User     string // empty: any user name
	Password string
}

// Entry is a device's registry entry and its registration state. Times are
// simulated time since the run started, passed in by the caller.
type Entry struct {
	Device
	Salt       [NonceLen]byte
	Registered bool           // holds an overlay address
	Overlay    netip.Addr     // allocated at registration, kept until released
	Public     netip.AddrPort // the endpoint the server last saw it from
	LastSeen   time.Duration  // last authenticated message
	Seq        uint64         // highest heartbeat/connect sequence number of this registration
	Offline    bool           // missed heartbeats, announced once
	challenge  [NonceLen]byte
	challenged time.Duration
	hasChal    bool
	keys       sync.Once
	dk         DeviceKeys
	derived    atomic.Bool
}

// Change is what Sweep found for one device.
type Change struct {
	ID      string
	Overlay netip.Addr
	Kind    string // "offline" or "released"
	Silence time.Duration
}

// Registry is the server's device table and overlay address pool. It is not
// safe for concurrent use; the server serialises calls.
type Registry struct {
	kdf          KDF
	secret       string
	offlineAfter time.Duration
	expires      time.Duration
	challengeTTL time.Duration
	entries      map[string]*Entry
	pool         netip.Prefix
	next         netip.Addr
	free         []netip.Addr
	keys         KeyCache
	kdfSlots     chan struct{} // bounds concurrent Argon2id runs: each holds MemoryKiB
}

// ErrPoolFull is returned when the overlay pool has no address left.
var ErrPoolFull = errors.New("rendezvous: overlay address pool exhausted")

// NewRegistry builds the table. offlineAfter is the heartbeat silence after
// which a device is offline; expires the silence after which its
// registration ends and its address returns to the pool.
func NewRegistry(devs []Device, pool netip.Prefix, kdf KDF, secret string, offlineAfter, expires time.Duration) (*Registry, error) {
	if !pool.Addr().Is4() || pool.Bits() > 30 {
		return nil, fmt.Errorf("overlay pool %v: want an IPv4 prefix of /30 or shorter", pool)
	}
	r := &Registry{kdf: kdf, secret: secret, offlineAfter: offlineAfter, expires: expires, challengeTTL: 30 * time.Second,
		entries: make(map[string]*Entry, len(devs)), pool: pool.Masked(), next: pool.Masked().Addr().Next(),
		kdfSlots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	for _, d := range devs {
		if _, dup := r.entries[d.ID]; dup {
			return nil, fmt.Errorf("device %q listed twice", d.ID)
		}
		r.entries[d.ID] = &Entry{Device: d, Salt: SaltFor(secret, d.ID)}
	}
	return r, nil
}

// Entries lists every entry, in no particular order.
func (r *Registry) Entries() []*Entry {
	out := make([]*Entry, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, e)
	}
	return out
}

// Len is the number of devices in the registry.
func (r *Registry) Len() int { return len(r.entries) }

// Lookup returns the entry of id.
func (r *Registry) Lookup(id string) (*Entry, bool) {
	e, ok := r.entries[id]
	return e, ok
}

// Keys returns e's derived keys, computing them on first use (Argon2id, at
// most GOMAXPROCS at a time, so a thousand hellos at once do not hold a
// thousand times the KDF's memory); safe to call without the registry's
// serialisation.
func (r *Registry) Keys(e *Entry) DeviceKeys {
	e.keys.Do(func() {
		r.kdfSlots <- struct{}{}
		defer func() { <-r.kdfSlots }()
		e.dk = r.keys.Get(e.Password, r.KDFFor(e))
		e.derived.Store(true)
	})
	return e.dk
}

// HasKeys reports whether e's keys are derived already (Keys will not block).
func (r *Registry) HasKeys(e *Entry) bool { return e.derived.Load() }

// KDFFor is the KDF announcement for e: the server's cost and e's salt.
func (r *Registry) KDFFor(e *Entry) KDF {
	k := r.kdf
	k.Salt = e.Salt
	return k
}

// Challenge records the nonce handed to e at now.
func (r *Registry) Challenge(e *Entry, nonce [NonceLen]byte, now time.Duration) {
	e.challenge, e.challenged, e.hasChal = nonce, now, true
}

// Outstanding returns e's challenge if one is still valid at now.
func (r *Registry) Outstanding(e *Entry, now time.Duration) ([NonceLen]byte, bool) {
	return e.challenge, e.hasChal && now-e.challenged <= r.challengeTTL
}

// TakeChallenge checks that nonce is e's outstanding challenge, not older
// than the challenge lifetime, and consumes it: a captured REGISTER cannot
// be played again.
func (r *Registry) TakeChallenge(e *Entry, nonce [NonceLen]byte, now time.Duration) bool {
	ok := e.hasChal && e.challenge == nonce && now-e.challenged <= r.challengeTTL
	if ok {
		e.hasChal = false
	}
	return ok
}

// Register gives e an overlay address (its old one while it holds it) and
// records its endpoint; the heartbeat sequence starts again.
func (r *Registry) Register(e *Entry, from netip.AddrPort, now time.Duration) (netip.Addr, error) {
	if !e.Registered {
		a, err := r.allocate()
		if err != nil {
			return netip.Addr{}, err
		}
		e.Overlay, e.Registered = a, true
	}
	e.Public, e.LastSeen, e.Seq, e.Offline = from, now, 0, false
	return e.Overlay, nil
}

// Touch records an authenticated heartbeat or connect with sequence number
// seq from from at now. It refuses a seq not above the last one (a replay)
// and reports whether the device's endpoint moved.
func (r *Registry) Touch(e *Entry, seq uint64, from netip.AddrPort, now time.Duration) (moved, ok bool) {
	if !e.Registered || seq <= e.Seq {
		return false, false
	}
	moved = e.Public != from
	e.Seq, e.Public, e.LastSeen, e.Offline = seq, from, now, false
	return moved, true
}

// Online reports whether e is registered and heard from within offlineAfter.
func (r *Registry) Online(e *Entry, now time.Duration) bool {
	return e.Registered && now-e.LastSeen <= r.offlineAfter
}

// Sweep marks silent devices offline (once) and releases the addresses of
// those silent past the registration lifetime.
func (r *Registry) Sweep(now time.Duration) []Change {
	var out []Change
	for _, e := range r.entries {
		if !e.Registered {
			continue
		}
		silence := now - e.LastSeen
		if silence > r.expires {
			out = append(out, Change{ID: e.ID, Overlay: e.Overlay, Kind: "released", Silence: silence})
			r.free = append(r.free, e.Overlay)
			e.Registered, e.Overlay, e.Public, e.Offline = false, netip.Addr{}, netip.AddrPort{}, false
			continue
		}
		if silence > r.offlineAfter && !e.Offline {
			e.Offline = true
			out = append(out, Change{ID: e.ID, Overlay: e.Overlay, Kind: "offline", Silence: silence})
		}
	}
	return out
}

func (r *Registry) allocate() (netip.Addr, error) {
	if n := len(r.free); n > 0 {
		a := r.free[n-1]
		r.free = r.free[:n-1]
		return a, nil
	}
	a := r.next
	// the last address of the prefix is its broadcast address
	if !r.pool.Contains(a) || !r.pool.Contains(a.Next()) {
		return netip.Addr{}, ErrPoolFull
	}
	r.next = a.Next()
	return a, nil
}
