package scenario

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a scenario file, at a 1-based line and column.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

// Error formats the problem as "file:line:col: msg".
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ErrorList is every problem found in one scenario file, sorted by position.
type ErrorList []*Error

// Error joins the problems one per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// collector gathers problems while a file is decoded and validated.
type collector struct {
	file string
	list ErrorList
}

func (c *collector) at(line, col int, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	c.list = append(c.list, &Error{File: c.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// node reports a problem at the position of n (1:1 when n is nil).
func (c *collector) node(n *yaml.Node, format string, args ...any) {
	if n == nil {
		c.at(1, 1, format, args...)
		return
	}
	c.at(n.Line, n.Column, format, args...)
}

func (c *collector) pos(p Pos, format string, args ...any) {
	c.at(p.Line, p.Col, format, args...)
}

// result sorts the problems by position, drops exact repeats and returns
// them as an *ErrorList, or nil when there are none.
func (c *collector) result() error {
	if len(c.list) == 0 {
		return nil
	}
	sort.SliceStable(c.list, func(i, j int) bool {
		a, b := c.list[i], c.list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := c.list[:1]
	for _, e := range c.list[1:] {
		if last := out[len(out)-1]; *last != *e {
			out = append(out, e)
		}
	}
	list := out
	return &list
}
