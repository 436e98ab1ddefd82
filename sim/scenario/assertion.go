package scenario

import (
	"errors"

	"go.yaml.in/yaml/v3"

	"github.com/boxlab/boxlab/sim/assert"
)

// assertionFields is the mapping form of an assertion.
type assertionFields struct {
	Name   string `yaml:"name"`
	Expect string `yaml:"expect"`
}

// parseExpr parses an assertion expression; a variable so that tests can
// check position mapping without depending on the expression grammar.
var parseExpr = assert.Parse

func (a *Assertion) decodeNode(d *decoder, n *yaml.Node, path string) {
	expr := n
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
	case n.Kind == yaml.MappingNode:
		var f assertionFields
		d.structure(n, reflectValue(&f), path, "assertion")
		expr = d.field(&f.Expect).value
		if expr == nil {
			d.errs.node(n, "%s: missing \"expect\"; want an expression like count(echo.reply) > 0", path)
			return
		}
		expr = d.resolve(expr)
		if expr == nil || expr.Kind != yaml.ScalarNode || expr.ShortTag() != "!!str" {
			return // structure reported the type error
		}
		a.Name = f.Name
		if d.has(&f.Name) && f.Name == "" {
			d.errs.node(d.field(&f.Name).value, "name: want a non-empty name, or leave it out")
		}
	default:
		d.errs.node(n, "%s: want an expression string or a mapping {name, expect}; got %s", label(path), describe(n))
		return
	}
	a.Expect = expr.Value
	a.Pos = Pos{expr.Line, expr.Column}
	parsed, err := parseExpr(expr.Value)
	if err != nil {
		line, col := expr.Line, expr.Column
		msg := err.Error()
		var se *assert.SyntaxError
		if errors.As(err, &se) {
			line, col = d.scalarPos(expr, se.Offset)
			msg = se.Msg
		}
		d.errs.at(line, col, "%s: %s", label(path), msg)
		return
	}
	a.Expr = parsed
}
