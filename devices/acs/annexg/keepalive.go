package annexg

import (
	"net/netip"
	"time"

	"github.com/boxlab/boxlab/nat/stun"
)

// Reasons the ACS refuses a keepalive (the `reason` attribute of
// acs.keepalive_rejected).
const (
	KAMalformed     = "malformed"         // not a STUN message: no answer
	KANotRequest    = "not-request"       // a STUN message other than a Binding Request: no answer
	KAUnknownAttr   = "unknown-attribute" // an unknown comprehension-required attribute: 420
	KAUnauth        = "unauthenticated"   // no USERNAME or no MESSAGE-INTEGRITY: 401 challenge
	KAUnknownUser   = "unknown-user"      // USERNAME of no device: 432 (classic) / 401
	KABadIntegrity  = "bad-integrity"     // MESSAGE-INTEGRITY wrong: 431 (classic) / 401
	KAReplayed      = "replayed"          // a transaction ID already used, from another source
	KANotKeepalive  = "no-crb"            // a plain Binding Request without CONNECTION-REQUEST-BINDING: answered, not a keepalive
	KARetransmitted = "retransmission"    // the same transaction from the same source: answered again, not counted
)

// Credential is what the ACS keeps per device for keepalives.
type Credential struct {
	Device   string
	Password string
	// Recent holds the last transaction IDs accepted, with their sources.
	Recent []Seen
	Last   time.Duration // when the last valid keepalive arrived
	Min    time.Duration // STUNMinimumKeepAlivePeriod
}

// Seen is an accepted transaction.
type Seen struct {
	TID  [16]byte
	From netip.AddrPort
}

// RecentTIDs is how many transaction IDs per device CheckKeepalive remembers.
const RecentTIDs = 8

// KAResult is what CheckKeepalive decided about one datagram.
type KAResult struct {
	OK            bool   // a valid keepalive: update online state and binding
	Reason        string // why not, or KARetransmitted/KANotKeepalive for datagrams answered but not counted
	Code          int    // STUN error code to answer with; 0 = a Binding Success; -1 = no answer
	Msg           *stun.Message
	Device        string
	BindingChange bool // BINDING-CHANGE present
	TooFrequent   bool // no BINDING-CHANGE and sooner than Min after the last one (TR-069 Annex G: the CPE must not)
}

// CheckKeepalive validates one datagram from src at now against the
// device credentials lookup(username) (TR-111 part 2): a Binding Request
// carrying CONNECTION-REQUEST-BINDING, USERNAME of a known device, and
// MESSAGE-INTEGRITY keyed with that device's password, in either dialect.
// requireIntegrity=false accepts keepalives without USERNAME/MI (looked up
// by nothing: OK with an empty Device) — the FreeACS behaviour. It changes
// nothing: the caller applies an OK result with Credential.Accept.
func CheckKeepalive(b []byte, src netip.AddrPort, now time.Duration, lookup func(username string) (*Credential, bool), requireIntegrity bool) KAResult {
	m, err := stun.Parse(b)
	if err != nil {
		return KAResult{Reason: KAMalformed, Code: -1}
	}
	res := KAResult{Msg: m, Code: 0}
	if m.Type != stun.BindingRequest {
		return KAResult{Msg: m, Reason: KANotRequest, Code: -1}
	}
	for _, a := range m.Attrs {
		if a.Type.Required() && !known(a.Type) {
			res.Reason, res.Code = KAUnknownAttr, 420
			return res
		}
	}
	crb, ok := m.Get(stun.AttrConnectionRequestBinding)
	if !ok || !stun.IsCRB(crb) {
		res.Reason = KANotKeepalive
		return res
	}
	res.BindingChange = m.Has(stun.AttrBindingChange)
	user, hasUser := m.Get(stun.AttrUsername)
	if !hasUser || !m.Has(stun.AttrMessageIntegrity) {
		if requireIntegrity {
			res.Reason, res.Code = KAUnauth, 401
			return res
		}
		res.OK = true
		return res
	}
	cred, ok := lookup(string(user))
	if !ok {
		res.Reason, res.Code = KAUnknownUser, 401
		if m.Dialect == stun.Classic {
			res.Code = 432
		}
		return res
	}
	if err := stun.CheckIntegrity(b, cred.Password); err != nil {
		res.Reason, res.Code = KABadIntegrity, 401
		if m.Dialect == stun.Classic {
			res.Code = 431
		}
		return res
	}
	res.Device = cred.Device
	for _, s := range cred.Recent {
		if s.TID == m.TransactionID {
			if s.From == src {
				res.Reason = KARetransmitted
				return res
			}
			res.Reason, res.Code = KAReplayed, -1
			return res
		}
	}
	res.OK = true
	res.TooFrequent = !res.BindingChange && cred.Last > 0 && cred.Min > 0 && now-cred.Last < cred.Min
	return res
}

// Accept records a valid keepalive in c.
func (c *Credential) Accept(r KAResult, src netip.AddrPort, now time.Duration) {
	c.Recent = append(c.Recent, Seen{TID: r.Msg.TransactionID, From: src})
	if len(c.Recent) > RecentTIDs {
		c.Recent = c.Recent[len(c.Recent)-RecentTIDs:]
	}
	c.Last = now
}

func known(t stun.AttrType) bool {
	switch t {
	case stun.AttrMappedAddress, stun.AttrResponseAddress, stun.AttrChangeRequest, stun.AttrSourceAddress,
		stun.AttrChangedAddress, stun.AttrUsername, stun.AttrPassword, stun.AttrMessageIntegrity,
		stun.AttrErrorCode, stun.AttrUnknownAttributes, stun.AttrReflectedFrom, stun.AttrXORMappedAddress:
		return true
	}
	return false
}

// ErrorFor is the reason phrase of a keepalive error code.
func ErrorFor(code int) string {
	switch code {
	case 401:
		return "Unauthorized"
	case 420:
		return "Unknown Attribute"
	case 431:
		return "Integrity Check Failure"
	case 432:
		return "Unknown Username"
	}
	return "Error"
}
