package assert

import (
	"strconv"
	"strings"
	"time"
)

// unit is what a value measures, for display: a plain number, a duration in
// seconds, a fraction written as a percent, or any (a metric's own unit,
// unknown here, so it takes the unit of the other side of the comparison).
type unit int

const (
	unitNone unit = iota
	unitDur
	unitPct
	unitAny
)

// expr is a node of an arithmetic expression.
type expr interface {
	// write appends the canonical text of the node.
	write(b *strings.Builder)
	// prec is the binding strength: 1 for + -, 2 for * /, 3 for unary minus, 4 for operands.
	prec() int
	unit() unit
}

// literal is a number, duration or percent written in the assertion.
type literal struct {
	val     float64 // seconds for durations, a fraction for percents
	u       unit
	numeral float64       // percents: the number before "%"
	dur     time.Duration // durations
}

// metricRef is a bare metric name: its last sample in the window.
type metricRef struct{ name string }

// call is an aggregate function over one metric's samples in the window.
type call struct {
	fn     string  // canonical name: count, sum, min, max, mean, last, first, rate, recovery or pNN
	q      float64 // quantile for pNN
	metric string
}

// neg is unary minus.
type neg struct{ x expr }

// binary is l op r with op one of + - * /.
type binary struct {
	op   byte
	l, r expr
}

func (l *literal) prec() int   { return 4 }
func (m *metricRef) prec() int { return 4 }
func (c *call) prec() int      { return 4 }
func (n *neg) prec() int       { return 3 }
func (b *binary) prec() int {
	if b.op == '+' || b.op == '-' {
		return 1
	}
	return 2
}

func (l *literal) write(b *strings.Builder) {
	switch l.u {
	case unitDur:
		b.WriteString(formatDuration(l.dur))
	case unitPct:
		b.WriteString(formatShortest(l.numeral) + "%")
	default:
		b.WriteString(formatShortest(l.val))
	}
}

func (m *metricRef) write(b *strings.Builder) { b.WriteString(m.name) }

func (c *call) write(b *strings.Builder) {
	b.WriteString(c.fn)
	b.WriteByte('(')
	b.WriteString(c.metric)
	b.WriteByte(')')
}

func (n *neg) write(b *strings.Builder) {
	b.WriteByte('-')
	writeOperand(b, n.x, n.x.prec() < n.prec())
}

// write keeps the tree shape: a right operand of equal strength is
// parenthesised, so a - (b - c) and a + (b + c) survive a round trip.
func (bi *binary) write(b *strings.Builder) {
	writeOperand(b, bi.l, bi.l.prec() < bi.prec())
	b.WriteByte(' ')
	b.WriteByte(bi.op)
	b.WriteByte(' ')
	writeOperand(b, bi.r, bi.r.prec() <= bi.prec())
}

func writeOperand(b *strings.Builder, e expr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	e.write(b)
	if paren {
		b.WriteByte(')')
	}
}

func exprString(e expr) string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (l *literal) unit() unit   { return l.u }
func (m *metricRef) unit() unit { return unitAny }
func (n *neg) unit() unit       { return n.x.unit() }

func (c *call) unit() unit {
	switch c.fn {
	case "count", "rate":
		return unitNone
	case "recovery":
		return unitDur
	}
	return unitAny
}

func (bi *binary) unit() unit {
	l, r := bi.l.unit(), bi.r.unit()
	switch bi.op {
	case '+', '-':
		switch {
		case l == r:
			return l
		case l == unitAny:
			return r
		case r == unitAny:
			return l
		}
	case '*':
		switch {
		case l == unitNone:
			return r
		case r == unitNone:
			return l
		}
	case '/':
		if r == unitNone {
			return l
		}
	}
	return unitNone
}

// walkMetrics calls f with every metric name e references.
func walkMetrics(e expr, f func(string)) {
	switch e := e.(type) {
	case *metricRef:
		f(e.name)
	case *call:
		f(e.metric)
	case *neg:
		walkMetrics(e.x, f)
	case *binary:
		walkMetrics(e.l, f)
		walkMetrics(e.r, f)
	}
}

// formatShortest writes v with the fewest digits that read back as v,
// without an exponent for ordinary magnitudes.
func formatShortest(v float64) string {
	if a := abs(v); a == 0 || (a >= 1e-6 && a < 1e15) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// formatDuration is time.Duration.String without trailing zero units:
// 1m rather than 1m0s, 1h rather than 1h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
