package assert

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Assertion is a parsed assertion: left CMP right [window].
type Assertion struct {
	src         string
	left, right expr
	cmp         string // < <= > >= == !=
	win         window
}

// SyntaxError is a problem in an assertion's text.
type SyntaxError struct {
	Offset int    // byte offset into the source of the offending token
	Msg    string // what was expected and what was found
}

// Error returns "col N: msg" with N the 1-based column (Offset+1).
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("col %d: %s", e.Offset+1, e.Msg)
}

func errAt(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// keywords start a window; they cannot be bare metric names.
var keywords = []string{"after", "before", "between", "during", "outside"}

const (
	wantOperand    = "a number, duration, percent, metric or function call"
	wantComparison = "a comparison (<, <=, >, >=, ==, !=)"
	wantWindow     = "a window (after, before, between, during, outside) or end of input"
	functionList   = "count, sum, min, max, mean, avg, last, first, rate, recovery or pNN"
)

// Parse parses one assertion such as "p95(command.latency) < 2s after 10s".
// On bad input the error is a *SyntaxError.
func Parse(src string) (a *Assertion, err error) {
	p := &parser{src: src}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			a, err = nil, se
		}
	}()
	p.advance()
	return p.assertion(), nil
}

// parser is a recursive-descent parser; it panics with *SyntaxError, which
// Parse recovers.
type parser struct {
	src   string
	tok   token // current token
	prev  token // last consumed token
	depth int   // nesting of unary minus and parentheses
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 1000

func (p *parser) fail(off int, format string, args ...any) {
	panic(errAt(off, format, args...))
}

func (p *parser) advance() {
	p.prev = p.tok
	tok, err := lex(p.src, p.tok.end)
	if err != nil {
		panic(err)
	}
	p.tok = tok
}

// text is the source from offset start to the end of the last consumed token.
func (p *parser) text(start int) string {
	return p.src[start:p.prev.end]
}

func (p *parser) isKeyword(word string) bool {
	return p.tok.kind == tIdent && p.tok.text == word
}

func (p *parser) assertion() *Assertion {
	a := &Assertion{src: p.src}
	start := p.tok.off
	a.left = p.expr()
	if p.tok.kind != tCmp {
		p.fail(p.tok.off, "want %s after %q; got %s", wantComparison, p.text(start), p.tok.describe())
	}
	a.cmp = p.tok.text
	p.advance()
	start = p.tok.off
	a.right = p.expr()
	a.win = p.window(p.text(start))
	if p.tok.kind != tEOF {
		p.fail(p.tok.off, "want end of input after %q; got %s", p.prev.text, p.tok.describe())
	}
	return a
}

// expr := term (("+" | "-") term)*
func (p *parser) expr() expr {
	e := p.term()
	for p.tok.kind == tOp && (p.tok.text == "+" || p.tok.text == "-") {
		op := p.tok.text[0]
		p.advance()
		e = &binary{op: op, l: e, r: p.term()}
	}
	return e
}

// term := unary (("*" | "/") unary)*
func (p *parser) term() expr {
	e := p.unary()
	for p.tok.kind == tOp && (p.tok.text == "*" || p.tok.text == "/") {
		op := p.tok.text[0]
		p.advance()
		e = &binary{op: op, l: e, r: p.unary()}
	}
	return e
}

// unary := "-" unary | operand
func (p *parser) unary() expr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.fail(p.tok.off, "expression nested more than %d deep", maxDepth)
	}
	if p.tok.kind == tOp && p.tok.text == "-" {
		p.advance()
		return &neg{x: p.unary()}
	}
	return p.operand()
}

// operand := number | duration | percent | metric | function "(" metric ")" | "(" expr ")"
func (p *parser) operand() expr {
	tok := p.tok
	switch tok.kind {
	case tNum, tDur, tPct:
		p.advance()
		return literalOf(tok)
	case tLParen:
		p.advance()
		start := p.tok.off
		e := p.expr()
		if p.tok.kind != tRParen {
			p.fail(p.tok.off, "want %q to close the %q at col %d after %q; got %s",
				")", "(", tok.off+1, p.text(start), p.tok.describe())
		}
		p.advance()
		return e
	case tIdent:
		if slices.Contains(keywords, tok.text) {
			break
		}
		p.advance()
		if p.tok.kind == tLParen {
			return p.call(tok)
		}
		return &metricRef{name: tok.text}
	}
	if p.prev.text == "" {
		p.fail(tok.off, "want %s; got %s", wantOperand, p.describeOperand(tok))
	}
	p.fail(tok.off, "want %s after %q; got %s", wantOperand, p.prev.text, p.describeOperand(tok))
	return nil
}

func (p *parser) describeOperand(tok token) string {
	if tok.kind == tIdent {
		return "keyword " + strconv.Quote(tok.text)
	}
	return tok.describe()
}

func literalOf(tok token) *literal {
	switch tok.kind {
	case tDur:
		return &literal{val: tok.val, u: unitDur, dur: tok.dur}
	case tPct:
		return &literal{val: tok.val, u: unitPct, numeral: tok.numeral}
	}
	return &literal{val: tok.val, u: unitNone}
}

// call parses "(" metric ")" after the function name fn; the current token is "(".
func (p *parser) call(fn token) expr {
	c := &call{fn: fn.text}
	if err := c.resolve(); err != nil {
		p.fail(fn.off, "%s", err.Error())
	}
	p.advance()
	if p.tok.kind != tIdent {
		p.fail(p.tok.off, "want a metric name inside %s(...); got %s", fn.text, p.tok.describe())
	}
	c.metric = p.tok.text
	p.advance()
	if p.tok.kind != tRParen {
		p.fail(p.tok.off, "want %q after %q; got %s", ")", fn.text+"("+c.metric, p.tok.describe())
	}
	p.advance()
	return c
}

// resolve checks the function name, maps avg to mean and sets q for pNN.
func (c *call) resolve() error {
	switch c.fn {
	case "count", "sum", "min", "max", "mean", "last", "first", "rate", "recovery":
		return nil
	case "avg":
		c.fn = "mean"
		return nil
	}
	digits, ok := strings.CutPrefix(c.fn, "p")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return fmt.Errorf("unknown function %q; want %s", c.fn, functionList)
	}
	if len(digits) < 2 {
		return fmt.Errorf("quantile %q: want two or more digits after p, e.g. p05, p50 or p999", c.fn)
	}
	if len(digits) > 2 && digits[0] == '1' && strings.Trim(digits[1:], "0") == "" {
		return fmt.Errorf("quantile %q would mean 0.%s; use max for the largest sample", c.fn, digits)
	}
	c.q, _ = strconv.ParseFloat("0."+digits, 64)
	return nil
}

// window := "after" D | "before" D | "between" D "and" D | ("during" | "outside") NAME
func (p *parser) window(rightText string) window {
	var w window
	switch {
	case p.tok.kind == tEOF:
		return w
	case p.isKeyword("after"):
		w.kind = after
		p.advance()
		w.from = p.duration()
	case p.isKeyword("before"):
		w.kind = before
		p.advance()
		w.to = p.duration()
	case p.isKeyword("between"):
		w.kind = between
		p.advance()
		w.from = p.duration()
		if !p.isKeyword("and") {
			p.fail(p.tok.off, "want %q after %q; got %s", "and", p.prev.text, p.tok.describe())
		}
		p.advance()
		to := p.tok
		w.to = p.duration()
		if w.to <= w.from {
			p.fail(to.off, "want the end of \"between\" after its start %s; got %s", formatDuration(w.from), to.text)
		}
	case p.isKeyword("during"), p.isKeyword("outside"):
		w.kind = during
		if p.tok.text == "outside" {
			w.kind = outside
		}
		name, ok := lexName(p.src, p.tok.end)
		if !ok {
			p.advance()
			p.fail(p.tok.off, "want %q or an interval name after %q; got %s", allFaults, p.prev.text, p.tok.describe())
		}
		w.name = name.text
		p.prev, p.tok = name, name
		p.advance()
	default:
		extra := ""
		if p.tok.kind == tCmp {
			extra = " (an assertion has one comparison)"
		}
		p.fail(p.tok.off, "want %s after %q; got %s%s", wantWindow, rightText, p.tok.describe(), extra)
	}
	return w
}

// duration reads a duration literal; windows take no plain numbers or negatives.
func (p *parser) duration() (d time.Duration) {
	if p.tok.kind != tDur {
		p.fail(p.tok.off, "want a duration like 10s after %q; got %s", p.prev.text, p.tok.describe())
	}
	d = p.tok.dur
	p.advance()
	return d
}

// String returns the canonical text: single spaces around operators, the
// minimum of parentheses, avg written mean, numbers in shortest form and
// durations as Go prints them without trailing zero units (1m30s, 2s, 250ms).
func (a *Assertion) String() string {
	var b strings.Builder
	a.left.write(&b)
	b.WriteString(" " + a.cmp + " ")
	a.right.write(&b)
	if a.win.kind != wholeRun {
		b.WriteString(" " + a.win.String())
	}
	return b.String()
}

// Source returns the text the assertion was parsed from.
func (a *Assertion) Source() string { return a.src }

// Metrics returns the metric names the assertion references, sorted, unique.
func (a *Assertion) Metrics() []string {
	var names []string
	add := func(name string) { names = append(names, name) }
	walkMetrics(a.left, add)
	walkMetrics(a.right, add)
	slices.Sort(names)
	return slices.Compact(names)
}
