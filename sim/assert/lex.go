package assert

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tNum            // 0.999, 10, 1e3
	tDur            // 250ms, 1m30s
	tPct            // 99.9%
	tIdent          // metric, function or keyword
	tName           // interval name after "during" or "outside"
	tOp             // + - * /
	tLParen         // (
	tRParen         // )
	tCmp            // < <= > >= == !=
)

// token is one lexeme of an assertion; off and end are byte offsets into the source.
type token struct {
	kind     tokKind
	text     string
	off, end int
	val      float64       // value in seconds for durations, as a fraction for percents
	numeral  float64       // the number written before "%"
	dur      time.Duration // the duration of a tDur
}

// describe names the token for "got ..." in error messages.
func (t token) describe() string {
	if t.kind == tEOF {
		return "end of input"
	}
	return strconv.Quote(t.text)
}

func isLower(c byte) bool     { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isNameByte(c byte) bool  { return isLower(c) || isDigit(c) || c == '_' }
func isLetter(c byte) bool    { return isLower(c) || 'A' <= c && c <= 'Z' }
func isMicroLead(c byte) bool { return c == 0xC2 || c == 0xCE } // µ (U+00B5), μ (U+03BC)

// skipSpace returns the offset of the first non-space byte at or after pos.
func skipSpace(src string, pos int) int {
	for pos < len(src) {
		r, size := utf8.DecodeRuneInString(src[pos:])
		if !unicode.IsSpace(r) {
			break
		}
		pos += size
	}
	return pos
}

// lex returns the token starting at or after pos.
func lex(src string, pos int) (token, *SyntaxError) {
	pos = skipSpace(src, pos)
	if pos == len(src) {
		return token{kind: tEOF, off: pos, end: pos}, nil
	}
	c := src[pos]
	tok := func(kind tokKind, n int) (token, *SyntaxError) {
		return token{kind: kind, text: src[pos : pos+n], off: pos, end: pos + n}, nil
	}
	next := byte(0)
	if pos+1 < len(src) {
		next = src[pos+1]
	}
	switch {
	case isDigit(c) || c == '.' && isDigit(next):
		return lexNumber(src, pos)
	case isLower(c) || c == '_':
		return lexIdent(src, pos)
	case c == '+' || c == '-' || c == '*' || c == '/':
		return tok(tOp, 1)
	case c == '(':
		return tok(tLParen, 1)
	case c == ')':
		return tok(tRParen, 1)
	case (c == '<' || c == '>') && next == '=':
		return tok(tCmp, 2)
	case c == '<' || c == '>':
		return tok(tCmp, 1)
	case (c == '=' || c == '!') && next == '=':
		return tok(tCmp, 2)
	case c == '=':
		return token{}, errAt(pos, `want "==" to compare for equality; got "="`)
	case c == '!':
		return token{}, errAt(pos, `want "!=" after "!"; got %s`, describeAt(src, pos+1))
	case 'A' <= c && c <= 'Z':
		return token{}, errAt(pos, "unexpected %q; metric names, functions and keywords are lower case", word(src, pos))
	}
	r, size := utf8.DecodeRuneInString(src[pos:])
	if r == utf8.RuneError && size == 1 {
		return token{}, errAt(pos, "unexpected byte 0x%02x; want UTF-8 text", c)
	}
	return token{}, errAt(pos, "unexpected character %q", string(r))
}

// describeAt describes the text at pos for an error message.
func describeAt(src string, pos int) string {
	if pos >= len(src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(src[pos:])
	return strconv.Quote(string(r))
}

// word returns the run of letters, digits, '_' and '.' at pos, for messages.
func word(src string, pos int) string {
	end := pos
	for end < len(src) && (isLetter(src[end]) || isDigit(src[end]) || src[end] == '_' || src[end] == '.') {
		end++
	}
	if end == pos {
		_, size := utf8.DecodeRuneInString(src[pos:])
		end = pos + size
	}
	return src[pos:end]
}

// lexIdent reads [a-z_][a-z0-9_]*(\.[a-z0-9_]+)*.
func lexIdent(src string, pos int) (token, *SyntaxError) {
	i := pos
	for {
		for i < len(src) && isNameByte(src[i]) {
			i++
		}
		if i >= len(src) || src[i] != '.' {
			break
		}
		if i+1 >= len(src) || !isNameByte(src[i+1]) {
			return token{}, errAt(i, "invalid metric name %q: want a-z, 0-9 or _ after %q; got %s",
				src[pos:i+1], ".", describeAt(src, i+1))
		}
		i++
	}
	return token{kind: tIdent, text: src[pos:i], off: pos, end: i}, nil
}

// lexName reads an interval name after "during" or "outside": the name of a
// timeline event or a fault kind such as gateway-reboot. It returns false if
// there is none at pos.
func lexName(src string, pos int) (token, bool) {
	pos = skipSpace(src, pos)
	i := pos
	for i < len(src) && (isLetter(src[i]) || isDigit(src[i]) || strings.IndexByte("_.-", src[i]) >= 0) {
		i++
	}
	if i == pos {
		return token{}, false
	}
	return token{kind: tName, text: src[pos:i], off: pos, end: i}, true
}

// lexNumber reads a number, a duration (number and units) or a percent.
func lexNumber(src string, pos int) (token, *SyntaxError) {
	i := pos
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i < len(src) && src[i] == '.' {
		if i+1 >= len(src) || !isDigit(src[i+1]) {
			return token{}, errAt(pos, "invalid number %q: want digits after the decimal point", word(src, pos))
		}
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	if i < len(src) && (src[i] == '.' || src[i] == '_') {
		return token{}, errAt(pos, "invalid number %q", word(src, pos))
	}
	if i < len(src) && (isLetter(src[i]) || isMicroLead(src[i])) {
		return lexDuration(src, pos, i)
	}
	text := src[pos:i]
	v, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(v, 0) {
		return token{}, errAt(pos, "invalid number %q", text)
	}
	if math.IsInf(v, 0) {
		return token{}, errAt(pos, "number %q is out of range", text)
	}
	if i < len(src) && src[i] == '%' {
		return token{kind: tPct, text: src[pos : i+1], off: pos, end: i + 1, numeral: v, val: percentValue(v)}, nil
	}
	return token{kind: tNum, text: text, off: pos, end: i, val: v}, nil
}

// lexDuration reads a Go duration such as 1m30s; the number ends at numEnd.
func lexDuration(src string, pos, numEnd int) (token, *SyntaxError) {
	i := numEnd
	for i < len(src) {
		if isLetter(src[i]) || isDigit(src[i]) || src[i] == '.' {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		if r != 'µ' && r != 'μ' {
			break
		}
		i += size
	}
	text := src[pos:i]
	d, err := time.ParseDuration(text)
	if err != nil {
		return token{}, errAt(pos, "invalid duration %q; want a number and a unit (ns, us, ms, s, m, h), e.g. 250ms, 2s, 1m30s", text)
	}
	return token{kind: tDur, text: text, off: pos, end: i, val: d.Seconds(), dur: d}, nil
}

// percentValue is n% as a fraction, correctly rounded: 99.9% is exactly the
// float64 nearest 0.999, not 99.9/100.
func percentValue(n float64) float64 {
	s := strconv.FormatFloat(n, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	v, _ := strconv.ParseFloat(fmt.Sprintf("%se%d", mant, e-2), 64)
	return v
}
