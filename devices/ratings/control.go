package ratings

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The control channel is a line protocol over TCP that an online terminal
// keeps open to the server (seed 004 §1: the server marks it online and can
// reach it; §7 method B: the server polls online terminals "are you
// watching X?"). The terminal dials out, so the connection crosses its NAT
// like any other and the server answers over the NAT's mapping:
//
//	server: CHALLENGE <nonce>
//	viewer: HELLO <user> <proof>     proof = ControlProof(password, nonce)
//	server: WELCOME                  (or ERR <reason>, then closes)
//	server: POLL <id> <ms>           ms: the server's time of the poll
//	viewer: ANSWER <id> <service> <session> <first-ms> <last-ms>
//	viewer: ANSWER <id> -            watching nothing that counts yet
//
//	viewer: SUB <service> | UNSUB <service>   change a subscription (seed §1, B)
//	server: SUBS <s1,s2,...|->       the subscriptions the server holds: after
//	                                 WELCOME and after every change (sync, seed §1 C)
//	server: SUBS <s1,...|-> operator the same after the operator changed them
//	                                 (operator API, PUT/DELETE /subscriptions/...)
//	server: GUIDE <version>          the guide changed: fetch /guide again (push)
//	server: ITEM <id> <service> <n>  interaction item for viewers of service:
//	                                 choose one of n choices (seed §8)
//	viewer: VOTE <id> <choice>       choice 0..n-1
//	server: RESULT <id> <c0,c1,...>  the item's tally
//
// The server reads at most control_burst lines at once and control_rate
// lines per simulated second after that from a terminal (budget.go); lines
// past it are dropped unread (ratings.control_limited), and a terminal that
// keeps flooding is sent ERR and disconnected.
//
// A terminal answers with a channel only for a viewing that has lasted the
// minimum viewing time by the frames it received (first and last frame
// timestamps are the server's), so methods A and B count the same thing.

// ControlProof proves a terminal knows its password without sending it:
// the first 32 hex digits of HMAC-SHA256(password, nonce).
func ControlProof(password, nonce string) string {
	m := hmac.New(sha256.New, []byte(password))
	m.Write([]byte(nonce))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// ControlLine is one parsed control-channel line.
type ControlLine struct {
	Verb    string // CHALLENGE, HELLO, WELCOME, POLL, ANSWER, ERR
	Nonce   string // CHALLENGE
	User    string // HELLO
	Proof   string // HELLO
	Poll    uint64 // POLL, ANSWER
	At      time.Duration
	Answer  PollAnswer // ANSWER
	Service string     // SUB, UNSUB, ITEM
	Subs    []string   // SUBS
	ByOp    bool       // SUBS: the operator changed them
	Version uint64     // GUIDE
	Item    uint64     // ITEM, VOTE, RESULT
	N       int        // ITEM: choices; VOTE: the choice
	Counts  []int      // RESULT
	Err     string
	Invalid bool
}

// PollAnswer is what a terminal watches, as it answered a poll.
type PollAnswer struct {
	Service     string        `json:"service,omitempty"` // empty: nothing that counts
	Session     string        `json:"session,omitempty"`
	First, Last time.Duration `json:"-"`
}

// Line renders an answer to poll id.
func (a PollAnswer) Line(id uint64) string {
	if a.Service == "" {
		return fmt.Sprintf("ANSWER %d -\n", id)
	}
	return fmt.Sprintf("ANSWER %d %s %s %d %d\n", id, a.Service, a.Session, a.First.Milliseconds(), a.Last.Milliseconds())
}

// ParseControlLine reads one line (without its newline) of either side.
func ParseControlLine(s string) (ControlLine, error) {
	if len(s) > maxLine {
		return ControlLine{}, fmt.Errorf("control: line of %d bytes; want at most %d", len(s), maxLine)
	}
	f := strings.Split(strings.TrimSuffix(s, "\r"), " ")
	bad := func() (ControlLine, error) { return ControlLine{}, fmt.Errorf("control: unexpected line %q", clip(s)) }
	num := func(v string) (uint64, bool) {
		n, err := strconv.ParseUint(v, 10, 63)
		return n, err == nil
	}
	switch f[0] {
	case "CHALLENGE":
		if len(f) != 2 || checkID(f[1]) != nil {
			return bad()
		}
		return ControlLine{Verb: "CHALLENGE", Nonce: f[1]}, nil
	case "HELLO":
		if len(f) != 3 || checkID(f[1]) != nil || checkID(f[2]) != nil {
			return bad()
		}
		return ControlLine{Verb: "HELLO", User: f[1], Proof: f[2]}, nil
	case "WELCOME":
		if len(f) != 1 {
			return bad()
		}
		return ControlLine{Verb: "WELCOME"}, nil
	case "POLL":
		id, ok1 := num(safe(f, 1))
		ms, ok2 := num(safe(f, 2))
		if len(f) != 3 || !ok1 || !ok2 {
			return bad()
		}
		return ControlLine{Verb: "POLL", Poll: id, At: time.Duration(ms) * time.Millisecond}, nil
	case "ANSWER":
		id, ok := num(safe(f, 1))
		if !ok {
			return bad()
		}
		if len(f) == 3 && f[2] == "-" {
			return ControlLine{Verb: "ANSWER", Poll: id}, nil
		}
		first, ok1 := num(safe(f, 4))
		last, ok2 := num(safe(f, 5))
		if len(f) != 6 || !ok1 || !ok2 || last < first || checkID(f[2]) != nil || checkID(f[3]) != nil {
			return bad()
		}
		return ControlLine{Verb: "ANSWER", Poll: id, Answer: PollAnswer{Service: f[2], Session: f[3],
			First: time.Duration(first) * time.Millisecond, Last: time.Duration(last) * time.Millisecond}}, nil
	case "SUB", "UNSUB":
		if len(f) != 2 || checkID(f[1]) != nil {
			return bad()
		}
		return ControlLine{Verb: f[0], Service: f[1]}, nil
	case "SUBS":
		if len(f) != 2 && (len(f) != 3 || f[2] != "operator") {
			return bad()
		}
		l := ControlLine{Verb: "SUBS", Subs: []string{}, ByOp: len(f) == 3}
		if f[1] != "-" {
			for _, v := range strings.Split(f[1], ",") {
				if checkID(v) != nil {
					return bad()
				}
				l.Subs = append(l.Subs, v)
			}
		}
		return l, nil
	case "GUIDE":
		v, ok := num(safe(f, 1))
		if len(f) != 2 || !ok {
			return bad()
		}
		return ControlLine{Verb: "GUIDE", Version: v}, nil
	case "ITEM":
		id, ok1 := num(safe(f, 1))
		n, ok2 := num(safe(f, 3))
		if len(f) != 4 || !ok1 || !ok2 || n < 2 || n > maxChoices || checkID(f[2]) != nil {
			return bad()
		}
		return ControlLine{Verb: "ITEM", Item: id, Service: f[2], N: int(n)}, nil
	case "VOTE":
		id, ok1 := num(safe(f, 1))
		n, ok2 := num(safe(f, 2))
		if len(f) != 3 || !ok1 || !ok2 || n >= maxChoices {
			return bad()
		}
		return ControlLine{Verb: "VOTE", Item: id, N: int(n)}, nil
	case "RESULT":
		id, ok := num(safe(f, 1))
		if len(f) != 3 || !ok {
			return bad()
		}
		l := ControlLine{Verb: "RESULT", Item: id}
		for _, v := range strings.Split(f[2], ",") {
			c, ok := num(v)
			if !ok || len(l.Counts) >= maxChoices {
				return bad()
			}
			l.Counts = append(l.Counts, int(c))
		}
		return l, nil
	case "ERR":
		return ControlLine{Verb: "ERR", Err: strings.TrimPrefix(s, "ERR ")}, nil
	}
	return bad()
}

// maxChoices bounds the choices of an interaction item.
const maxChoices = 16

// SubsLine renders the server's subscription list.
func SubsLine(subs []string) string {
	if len(subs) == 0 {
		return "SUBS -\n"
	}
	return "SUBS " + strings.Join(subs, ",") + "\n"
}

// OperatorSubsLine renders the server's subscription list after the
// operator changed it.
func OperatorSubsLine(subs []string) string {
	return strings.TrimSuffix(SubsLine(subs), "\n") + " operator\n"
}

func safe(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}
