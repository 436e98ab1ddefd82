package annexg

import (
	"crypto/hmac"
	"encoding/hex"
	"strconv"
	"time"
)

// Reasons a Receiver refuses a connection request (the `reason` attribute
// of stb.cr_rejected).
const (
	ReasonMalformed    = "malformed"
	ReasonUsername     = "bad-username"
	ReasonSignature    = "bad-signature"
	ReasonStaleTS      = "stale-ts"
	ReasonReplayedID   = "replayed-id"
	ReasonRateLimited  = "rate-limited"
	ReasonNoCredential = "no-credentials"
)

// ReceiverVariant selects how a CPE validates (reference §1.4). The zero
// value is TR-069 G.2.1.4 as written: ts strictly later, every check before
// any state change, SHA-1 only, no rate limit.
type ReceiverVariant struct {
	AllowEqualTS     bool          `yaml:"allow_equal_ts"`     // RDK-B: ts equal to the last one passes
	UpdateBeforeAuth bool          `yaml:"update_before_auth"` // icwmp: a fresh ts and id are recorded before un/sig are checked
	TS32             bool          `yaml:"ts32"`               // icwmp %u / RDK ULONG: ts kept modulo 2^32
	AcceptSHA256     bool          `yaml:"accept_sha256"`      // also accept an HMAC-SHA256 signature
	RateLimit        time.Duration `yaml:"-"`                  // a valid request within this of the last accepted one is refused
}

// Receiver is a CPE's connection-request validator and its replay state.
// Not safe for concurrent use.
type Receiver struct {
	Username, Password string
	Variant            ReceiverVariant

	lastTS       uint64
	lastID       string
	lastAccepted time.Duration
	accepted     bool
	seen         bool
}

// Verdict is what Check decided.
type Verdict struct {
	OK     bool
	Reason string // one of the Reason constants when !OK
	CR     CR     // the parsed request (zero if malformed)
}

// Check validates one datagram received at now (simulated time). TR-069
// G.2.1.4: a GET, un equal to the username, sig correct, ts later than the
// last accepted, id different from the last accepted; state changes only
// when every check passed (unless Variant.UpdateBeforeAuth).
func (r *Receiver) Check(b []byte, now time.Duration) Verdict {
	cr, err := Parse(b)
	if err != nil {
		return Verdict{Reason: ReasonMalformed}
	}
	ts, _ := strconv.ParseUint(cr.TS, 10, 64)
	if r.Variant.TS32 {
		ts = uint64(uint32(ts))
	}
	refuse := func(reason string) Verdict { return Verdict{Reason: reason, CR: cr} }
	if r.Variant.UpdateBeforeAuth {
		stale, replay := r.replayed(ts, cr.ID)
		switch {
		case stale:
			return refuse(ReasonStaleTS)
		case replay:
			return refuse(ReasonReplayedID)
		}
		r.remember(ts, cr.ID) // icwmp: before un and sig are checked
	}
	if r.Username == "" || r.Password == "" {
		return refuse(ReasonNoCredential)
	}
	if cr.Un != r.Username {
		return refuse(ReasonUsername)
	}
	if !r.signatureOK(cr) {
		return refuse(ReasonSignature)
	}
	if !r.Variant.UpdateBeforeAuth {
		stale, replay := r.replayed(ts, cr.ID)
		switch {
		case stale:
			return refuse(ReasonStaleTS)
		case replay:
			return refuse(ReasonReplayedID)
		}
	}
	limited := r.Variant.RateLimit > 0 && r.accepted && now-r.lastAccepted < r.Variant.RateLimit
	r.remember(ts, cr.ID)
	if limited {
		return refuse(ReasonRateLimited)
	}
	r.lastAccepted, r.accepted = now, true
	return Verdict{OK: true, CR: cr}
}

func (r *Receiver) replayed(ts uint64, id string) (stale, replay bool) {
	if !r.seen {
		return false, false
	}
	stale = ts < r.lastTS || (ts == r.lastTS && !r.Variant.AllowEqualTS)
	return stale, id == r.lastID
}

func (r *Receiver) remember(ts uint64, id string) {
	r.lastTS, r.lastID, r.seen = ts, id, true
}

func (r *Receiver) signatureOK(cr CR) bool {
	got, err := hex.DecodeString(cr.Sig)
	if err != nil {
		return false
	}
	switch len(got) {
	case 20:
		return hmac.Equal(got, Sign(cr, r.Password, false))
	case 32:
		return r.Variant.AcceptSHA256 && hmac.Equal(got, Sign(cr, r.Password, true))
	}
	return false
}
