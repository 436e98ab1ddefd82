package scenario

import (
	"fmt"
	"strconv"
	"strings"
)

// Selector kinds.
const (
	SelectHomes  = "homes"
	SelectServer = "server"
	SelectISP    = "isp"
)

// maxIndex bounds selector numbers so arithmetic on them cannot overflow.
const maxIndex = 1 << 30

// SelectorError is a malformed selector; Offset is the byte in the text
// where the problem starts.
type SelectorError struct {
	Src    string
	Offset int
	Msg    string
}

func (e *SelectorError) Error() string {
	return fmt.Sprintf("bad selector %q: %s", e.Src, e.Msg)
}

// ParseSelector parses the selector grammar documented on Selector.
func ParseSelector(src string) (Selector, error) {
	p := &selParser{src: src}
	sel, err := p.parse()
	if err != nil {
		return Selector{}, err
	}
	sel.Src = src
	return sel, nil
}

// String returns the selector as written.
func (s Selector) String() string { return s.Src }

// Devices reports whether the selector picks devices rather than gateways.
func (s Selector) Devices() bool { return s.Device != "" }

type selParser struct {
	src string
	i   int
}

func (p *selParser) fail(at int, format string, args ...any) error {
	return &SelectorError{Src: p.src, Offset: at, Msg: fmt.Sprintf(format, args...)}
}

const selectorForms = "homes, homes:10%, homes:25, GROUP, GROUP[3], GROUP[0-9], GROUP:50%, GROUP[3].DEVICE, server[NAME] or isp[NAME]"

func (p *selParser) parse() (Selector, error) {
	if p.src == "" {
		return Selector{}, p.fail(0, "empty; want one of %s", selectorForms)
	}
	start := p.i
	name := p.name()
	if name == "" {
		return Selector{}, p.fail(p.i, "want one of %s", selectorForms)
	}
	var sel Selector
	var err error
	switch name {
	case SelectServer, SelectISP:
		sel, err = p.named(name)
	default:
		sel = Selector{Kind: SelectHomes}
		if name != SelectHomes {
			sel.Group = name
		}
		err = p.homes(&sel, start)
	}
	if err != nil {
		return Selector{}, err
	}
	if p.i < len(p.src) {
		return Selector{}, p.fail(p.i, "unexpected %q; want one of %s", p.rest(), selectorForms)
	}
	return sel, nil
}

func (p *selParser) rest() string { return p.src[p.i:] }

func (p *selParser) peek() byte {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

// name reads [a-z][a-z0-9-]*.
func (p *selParser) name() string {
	start := p.i
	for p.i < len(p.src) {
		c := p.src[p.i]
		if c >= 'a' && c <= 'z' || p.i > start && (c >= '0' && c <= '9' || c == '-') {
			p.i++
			continue
		}
		break
	}
	return p.src[start:p.i]
}

// named parses "[NAME]" after "server" or "isp".
func (p *selParser) named(kind string) (Selector, error) {
	if p.peek() != '[' {
		return Selector{}, p.fail(p.i, "want %s[NAME]", kind)
	}
	p.i++
	at := p.i
	name := p.name()
	if name == "" || p.peek() != ']' {
		return Selector{}, p.fail(at, "want %s[NAME] with NAME like [a-z][a-z0-9-]*", kind)
	}
	p.i++
	return Selector{Kind: kind, Name: name}, nil
}

// homes parses what may follow a group name or "homes".
func (p *selParser) homes(sel *Selector, start int) error {
	switch p.peek() {
	case ':':
		p.i++
		if err := p.sample(sel); err != nil {
			return err
		}
	case '[':
		if sel.Group == "" {
			return p.fail(p.i, "an index needs a group name, like home[3]")
		}
		p.i++
		if err := p.indexRange(sel); err != nil {
			return err
		}
	}
	if p.peek() == '.' {
		p.i++
		at := p.i
		sel.Device = p.name()
		if sel.Device == "" {
			return p.fail(at, "want a device name after \".\", like home[3].stb")
		}
	}
	return nil
}

// sample parses "10%", "12.5%" or "25".
func (p *selParser) sample(sel *Selector) error {
	at := p.i
	p.digits()
	if p.peek() == '.' && p.i+1 < len(p.src) && isDigit(p.src[p.i+1]) {
		p.i++
		p.digits()
	}
	num := p.src[at:p.i]
	if num == "" {
		return p.fail(at, "want a count like 25 or a percent like 10%% after \":\"")
	}
	if p.peek() == '%' {
		p.i++
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || !(v > 0 && v <= 100) {
			return p.fail(at, "percent %s%% out of range; want 0 < percent <= 100", num)
		}
		sel.Percent = v
		return nil
	}
	n, err := p.number(at, num)
	if err != nil {
		return err
	}
	if n == 0 {
		return p.fail(at, "count 0; want a count > 0")
	}
	sel.Count = n
	return nil
}

// indexRange parses "3]" or "0-9]".
func (p *selParser) indexRange(sel *Selector) error {
	at := p.i
	from, err := p.index()
	if err != nil {
		return err
	}
	to := from
	if p.peek() == '-' {
		p.i++
		if to, err = p.index(); err != nil {
			return err
		}
	}
	if p.peek() != ']' {
		return p.fail(p.i, "want \"]\" to close the index, like home[3] or home[0-9]")
	}
	p.i++
	if from > to {
		return p.fail(at, "index range %d-%d is backwards; want from <= to", from, to)
	}
	sel.From, sel.To, sel.Indexed = from, to, true
	return nil
}

func (p *selParser) index() (int, error) {
	at := p.i
	p.digits()
	if at == p.i {
		return 0, p.fail(at, "want an index like home[3] or a range like home[0-9]")
	}
	return p.number(at, p.src[at:p.i])
}

func (p *selParser) number(at int, digits string) (int, error) {
	if strings.Contains(digits, ".") {
		return 0, p.fail(at, "want a whole count like 25 or a percent like %s%%", digits)
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > maxIndex {
		return 0, p.fail(at, "number %s too large; want at most %d", digits, maxIndex)
	}
	return n, nil
}

func (p *selParser) digits() {
	for p.i < len(p.src) && isDigit(p.src[p.i]) {
		p.i++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
