package scenario

import (
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeNode keeps the options node; the role's options type decodes it once
// the whole file is read (see decodeOptions).
func (o *Options) decodeNode(d *decoder, n *yaml.Node, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errs.node(n, "%s: want a mapping; got %s", label(path), describe(n))
		return
	}
	o.Node = n
}

func reflectValue(ptr any) reflect.Value { return reflect.ValueOf(ptr).Elem() }

// decodeOptions decodes o.Node into the options value the catalog returns
// for role, strictly, and stores it in o.Value. Unknown roles were
// reported already and are skipped.
func (d *decoder) decodeOptions(o *Options, role string, cat Catalog) {
	value, ok := cat.RoleOptions(role)
	if !ok {
		return
	}
	d.decodeOptionsValue(o, value, "options", "role "+role, role+" options")
}

// decodeNATOptions decodes a nat_options mapping with the options value of
// NAT profile, when the catalog has options for profiles.
func (d *decoder) decodeNATOptions(o *Options, profile string, cat Catalog) {
	var value any
	if nc, ok := cat.(NATOptioner); ok {
		if value, ok = nc.NATOptions(profile); !ok {
			return
		}
	}
	d.decodeOptionsValue(o, value, "nat_options", "NAT profile "+profile, profile+" options")
}

// decodeOptionsValue decodes o.Node strictly into value (a pointer) and
// stores it in o.Value; key is the YAML key, owner says whose options they are.
func (d *decoder) decodeOptionsValue(o *Options, value any, key, owner, what string) {
	o.Value = value
	if o.Node == nil {
		return
	}
	if value == nil {
		if len(o.Node.Content) > 0 {
			d.errs.node(o.Node, "%s: %s takes no options", key, owner)
		}
		return
	}
	v := reflect.ValueOf(value)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		d.errs.node(o.Node, "%s: %s has an options value of type %T; want a non-nil pointer", key, owner, value)
		return
	}
	if v.Elem().Kind() == reflect.Struct {
		d.structure(o.Node, v.Elem(), key, what)
		return
	}
	d.decode(o.Node, v.Elem(), key)
}

// checkOptions runs the options value's own Check against the scenario and
// reports each FieldError at the key it names.
func (d *decoder) checkOptions(o *Options, optionsKey *yaml.Node, owner Pos, s *Scenario) {
	c, ok := o.Value.(OptionsChecker)
	if !ok {
		return
	}
	for _, fe := range c.Check(s) {
		n, name := d.optionKey(o.Node, fe.Field), "options"
		if fe.Field != "" {
			name = fe.Field
		}
		if n == nil {
			n, name = optionsKey, join("options", fe.Field)
		}
		if n == nil {
			d.errs.pos(owner, "%s: %s", name, fe.Msg)
			continue
		}
		d.errs.node(n, "%s: %s", name, fe.Msg)
	}
}

// optionKey finds the key node of a dotted field path in an options mapping.
func (d *decoder) optionKey(n *yaml.Node, field string) *yaml.Node {
	if field == "" {
		return nil
	}
	var key *yaml.Node
	for part := range strings.SplitSeq(field, ".") {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		key, n = lookup(n, part)
	}
	return key
}

// lookup returns the key and value nodes of key in mapping n.
func lookup(n *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}
