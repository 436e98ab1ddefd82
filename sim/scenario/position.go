package scenario

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// scalarPos maps a byte offset inside a scalar's value to a line and column
// in the file. It is exact for single-line plain and quoted scalars and for
// literal (|) blocks, and falls back to the scalar's own position otherwise.
func (d *decoder) scalarPos(n *yaml.Node, off int) (line, col int) {
	if off < 0 || off > len(n.Value) {
		return n.Line, n.Column
	}
	switch {
	case n.Style&yaml.LiteralStyle != 0:
		return d.literalPos(n, off)
	case n.Style&yaml.SingleQuotedStyle != 0:
		return d.quotedPos(n, off, singleQuoted)
	case n.Style&yaml.DoubleQuotedStyle != 0:
		return d.quotedPos(n, off, doubleQuoted)
	case n.Style&yaml.FoldedStyle != 0 || strings.Contains(n.Value, "\n"):
		return n.Line, n.Column
	}
	return n.Line, n.Column + utf8.RuneCountInString(n.Value[:off])
}

// sourceLine returns line (1-based) of the file, or "" if there is none.
func (d *decoder) sourceLine(line int) string {
	if line < 1 || line > len(d.lines) {
		return ""
	}
	return d.lines[line-1]
}

// splitLines splits src at YAML line breaks: CR LF, CR, LF, and the
// Unicode NEL, LS and PS that yaml.v3 also counts as breaks.
func splitLines(src string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch r {
		case '\r', '\n', '\u0085', '\u2028', '\u2029':
			lines = append(lines, src[start:i])
			if r == '\r' && i+1 < len(src) && src[i+1] == '\n' {
				size++
			}
			start = i + size
		}
		i += size
	}
	return append(lines, src[start:])
}

// literalPos maps an offset in a literal block: value line k is file line
// n.Line+1+k, indented like the block's first non-blank line.
func (d *decoder) literalPos(n *yaml.Node, off int) (int, int) {
	k := strings.Count(n.Value[:off], "\n")
	lineStart := strings.LastIndexByte(n.Value[:off], '\n') + 1
	indent := -1
	for l := n.Line + 1; l <= len(d.lines); l++ {
		if s := d.sourceLine(l); strings.TrimSpace(s) != "" {
			indent = len(s) - len(strings.TrimLeft(s, " "))
			break
		}
	}
	if indent < 0 {
		return n.Line, n.Column
	}
	return n.Line + 1 + k, indent + 1 + utf8.RuneCountInString(n.Value[lineStart:off])
}

// unquote reads one source character (or escape) at raw[i:] and returns how
// many raw bytes it used, how many value bytes it stands for, and whether
// it ends the scalar.
type unquote func(raw string, i int) (rawLen, valLen int, end bool)

func singleQuoted(raw string, i int) (int, int, bool) {
	if raw[i] == '\'' {
		if i+1 < len(raw) && raw[i+1] == '\'' {
			return 2, 1, false
		}
		return 1, 0, true
	}
	_, size := utf8.DecodeRuneInString(raw[i:])
	return size, size, false
}

// escapeLen is the raw length and value length of YAML's double-quoted
// escapes after the backslash.
var escapeLen = map[byte][2]int{'x': {4, 1}, 'u': {6, 3}, 'U': {10, 4}, 'N': {2, 2}, '_': {2, 2}, 'L': {2, 3}, 'P': {2, 3}}

func doubleQuoted(raw string, i int) (int, int, bool) {
	switch raw[i] {
	case '"':
		return 1, 0, true
	case '\\':
		if i+1 >= len(raw) {
			return 1, 0, true
		}
		if l, ok := escapeLen[raw[i+1]]; ok {
			return l[0], l[1], false
		}
		return 2, 1, false
	}
	_, size := utf8.DecodeRuneInString(raw[i:])
	return size, size, false
}

// quotedPos walks the source of a single-line quoted scalar until off value
// bytes are consumed.
func (d *decoder) quotedPos(n *yaml.Node, off int, next unquote) (int, int) {
	src := d.sourceLine(n.Line)
	start := byteOffset(src, n.Column-1) + 1 // after the opening quote
	if start > len(src) {
		return n.Line, n.Column
	}
	col, val := n.Column+1, 0
	for i := start; i < len(src) && val < off; {
		rawLen, valLen, end := next(src, i)
		if end {
			break
		}
		col += utf8.RuneCountInString(src[i:min(i+rawLen, len(src))])
		i += rawLen
		val += valLen
	}
	if val < off {
		return n.Line, n.Column // the scalar spans lines
	}
	return n.Line, col
}

// byteOffset converts a 0-based rune column in s to a byte offset.
func byteOffset(s string, runes int) int {
	i := 0
	for r := 0; r < runes && i < len(s); r++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if i < len(s) || runes == 0 {
		return i
	}
	return len(s) + 1
}
