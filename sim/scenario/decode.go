package scenario

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits that keep hostile input (alias bombs, alias cycles) cheap.
const (
	maxNodes = 1 << 17 // nodes visited, aliases expanded
	maxDepth = 64      // nesting of decoded values
)

// nodeDecoder is implemented by model types that need the whole YAML node
// (a scalar or a mapping), not only its text.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// fieldNodes are the key and value nodes a struct field was decoded from.
type fieldNodes struct {
	key, value *yaml.Node
	bad        bool // the value had errors
}

type fieldKey struct {
	addr uintptr
	typ  reflect.Type
}

// decoder is a strict reflective YAML decoder: it walks a yaml.Node tree into
// Go values by their yaml tags, reports every unknown key, duplicate key and
// type mismatch, and remembers where each struct field came from.
type decoder struct {
	errs   *collector
	lines  []string // source, for columns inside quoted scalars
	fields map[fieldKey]fieldNodes
	nodes  int
	depth  int
	tooBig bool
}

func newDecoder(errs *collector, src []byte) *decoder {
	return &decoder{errs: errs, lines: splitLines(string(src)), fields: map[fieldKey]fieldNodes{}}
}

// field returns the nodes a struct field was decoded from; ptr is a pointer
// to the field. Both are nil when the file did not set it.
func (d *decoder) field(ptr any) fieldNodes {
	v := reflect.ValueOf(ptr)
	return d.fields[fieldKey{v.Pointer(), v.Type().Elem()}]
}

// has reports whether the file set the field ptr points to.
func (d *decoder) has(ptr any) bool { return d.field(ptr).key != nil }

// good returns the value node of a field the file set and that decoded
// without errors, or nil.
func (d *decoder) good(ptr any) *yaml.Node {
	if f := d.field(ptr); !f.bad {
		return f.value
	}
	return nil
}

// label is the last element of a path: the key or "key[i]" of a value.
func label(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	if key == "" {
		return path
	}
	return path + "." + key
}

// resolve follows aliases and counts the node against the budget; it
// returns nil when the budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxNodes || d.depth > maxDepth {
		if !d.tooBig {
			d.tooBig = true
			d.errs.node(n, "document too large or nested too deeply (aliases expanded); want at most %d values and %d levels", maxNodes, maxDepth)
		}
		return nil
	}
	return n
}

// decode decodes n into v, which must be addressable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n = d.resolve(n); n == nil {
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
		nd.decodeNode(d, n, path)
		return
	}
	if sd, ok := v.Addr().Interface().(scalarDecoder); ok {
		d.scalarWith(n, sd, path, want(v.Type()))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, path, noun(v.Type(), path))
	case reflect.Slice:
		d.sequence(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Pointer:
		if isNull(n) {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.errs.node(n, "%s: %v", label(path), err)
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.basic(n, v, path)
	}
}

// scalarWith decodes a scalar through a type's own parser. Errors that
// carry a byte offset are reported at that character.
func (d *decoder) scalarWith(n *yaml.Node, sd scalarDecoder, path, what string) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errs.node(n, "%s: want %s; got %s", label(path), what, describe(n))
		return
	}
	if err := sd.decodeScalar(n.Value); err != nil {
		line, col := n.Line, n.Column
		if se, ok := err.(*SelectorError); ok {
			line, col = d.scalarPos(n, se.Offset)
		}
		d.errs.at(line, col, "%s: %v", label(path), err)
	}
}

func (d *decoder) basic(n *yaml.Node, v reflect.Value, path string) {
	tag := n.ShortTag()
	bad := func(what string) { d.errs.node(n, "%s: want %s; got %s", label(path), what, describe(n)) }
	if n.Kind != yaml.ScalarNode {
		bad(want(v.Type()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if tag != "!!str" {
			bad("a string")
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if tag != "!!int" || n.Decode(&i) != nil {
			bad("an integer")
			return
		}
		if v.OverflowInt(i) {
			bad(fmt.Sprintf("an integer that fits in %d bits", v.Type().Bits()))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		if tag != "!!int" || n.Decode(&u) != nil || v.OverflowUint(u) {
			bad(fmt.Sprintf("an integer from 0 to %d", uint64(1)<<v.Type().Bits()-1))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		var f float64
		if tag != "!!int" && tag != "!!float" || n.Decode(&f) != nil {
			bad("a number")
			return
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			bad("a finite number")
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		var b bool
		if tag != "!!bool" || n.Decode(&b) != nil {
			bad("true or false")
			return
		}
		v.SetBool(b)
	default:
		d.errs.node(n, "%s: cannot decode into %s", label(path), v.Type())
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		v.SetZero()
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errs.node(n, "%s: want a sequence; got %s", label(path), describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		if isNull(item) && v.Type().Elem().Kind() == reflect.Struct {
			d.errs.node(item, "%s[%d]: want a mapping; got null", label(path), i)
			continue
		}
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

// pairs checks that n is a mapping with unique scalar keys and returns its
// key/value pairs; it reports what is wrong otherwise.
func (d *decoder) pairs(n *yaml.Node, path, what string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		d.errs.node(n, "%s: want %s; got %s", label(path), what, describe(n))
		return nil
	}
	seen := map[string]*yaml.Node{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			d.errs.node(k, "%s: want a plain key; got %s", label(path), describe(k))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			d.errs.node(k, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errs.node(k, "duplicate key %q; first at line %d", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, [2]*yaml.Node{k, val})
	}
	return out
}

// structure decodes a mapping into a struct and sets its Pos field, if it
// has one; Pos stays zero when n is not a mapping.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, path, what string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errs.node(n, "%s: want a mapping; got %s", label(path), describe(n))
		return
	}
	fields := yamlFields(v.Type())
	for _, kv := range d.pairs(n, path, "a mapping") {
		k, val := kv[0], kv[1]
		i, ok := fields[k.Value]
		if !ok {
			d.errs.node(k, "%s", unknownMsg("field", k.Value, "in "+what, sortedKeys(fields)))
			continue
		}
		f := v.Field(i)
		before := len(d.errs.list)
		d.decode(val, f, join(path, k.Value))
		d.fields[fieldKey{f.Addr().Pointer(), f.Type()}] = fieldNodes{k, val, len(d.errs.list) > before}
	}
	if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == reflect.TypeFor[Pos]() {
		f.Set(reflect.ValueOf(Pos{n.Line, n.Column}))
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		v.SetZero()
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.errs.node(n, "%s: cannot decode into %s", label(path), v.Type())
		return
	}
	pairs := d.pairs(n, path, "a mapping")
	m := reflect.MakeMapWithSize(v.Type(), len(pairs))
	for _, kv := range pairs {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(kv[1], elem, join(path, kv[0].Value))
		m.SetMapIndex(reflect.ValueOf(kv[0].Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

// yamlFields maps the yaml keys of t to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		m[name] = i
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nouns name the model's mappings in messages.
var nouns = map[reflect.Type]string{
	reflect.TypeFor[Scenario]():  "scenario",
	reflect.TypeFor[Pools]():     "pools",
	reflect.TypeFor[Topology]():  "topology",
	reflect.TypeFor[Server]():    "server",
	reflect.TypeFor[ISP]():       "isp",
	reflect.TypeFor[HomeGroup](): "home group",
	reflect.TypeFor[Device]():    "device",
	reflect.TypeFor[Event]():     "timeline event",
}

func noun(t reflect.Type, path string) string {
	if s, ok := nouns[t]; ok {
		return s
	}
	return label(path)
}

// want says what a value of type t looks like.
func want(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "a duration with a unit like 30s or 1m30s"
	case reflect.TypeFor[Prefix]():
		return "an IPv4 prefix like 192.168.1.0/24"
	case reflect.TypeFor[Selector]():
		return "a selector like homes, home[3] or server[acs]"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a sequence"
	}
	return "a mapping"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:37]) + "..."
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!str":
		return fmt.Sprintf("string %q", v)
	case "!!int":
		return "integer " + v
	case "!!float":
		return "number " + v
	case "!!bool":
		return "boolean " + v
	case "!!timestamp":
		return "timestamp " + v
	case "!!binary":
		return "binary data"
	}
	return fmt.Sprintf("%s %q", n.ShortTag(), v)
}
