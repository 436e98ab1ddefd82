package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Load reads and validates the scenario file at path. A file that cannot be
// read returns the os error; any problem in its content returns an
// *ErrorList holding every problem found, each "path:line:col: msg".
func Load(path string, cat Catalog) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, cat)
}

// Parse is Load for a file already read; file names it in errors. On
// success every default documented in the model is filled in.
func Parse(file string, data []byte, cat Catalog) (*Scenario, error) {
	if cat == nil {
		cat = emptyCatalog{}
	}
	errs := &collector{file: file}
	root := parseYAML(errs, data)
	if root == nil {
		return nil, errs.result()
	}
	d := newDecoder(errs, data)
	s := &Scenario{File: file}
	d.decode(root, reflect.ValueOf(s).Elem(), "")
	if d.tooBig {
		return nil, errs.result()
	}
	v := &validator{d: d, errs: errs, s: s, cat: cat, root: root}
	v.validate()
	fillDefaults(s, d)
	v.checkOptions()
	if err := errs.result(); err != nil {
		return nil, err
	}
	return s, nil
}

const scenarioWant = "want a scenario mapping with name, duration and topology"

// parseYAML parses data into a node tree and returns its top mapping, or
// nil after reporting why there is none.
func parseYAML(errs *collector, data []byte) *yaml.Node {
	doc, ok := decodeOne(errs, data, "want one scenario per file")
	if !ok {
		return nil
	}
	if doc == nil || len(doc.Content) == 0 {
		errs.at(1, 1, "empty file; %s", scenarioWant)
		return nil
	}
	root := doc.Content[0]
	for root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	if isNull(root) {
		errs.node(root, "empty document; %s", scenarioWant)
		return nil
	}
	if root.Kind != yaml.MappingNode {
		errs.node(root, "%s; got %s", scenarioWant, describe(root))
		return nil
	}
	return root
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserProblems are the yaml.v3 parser's (not scanner's) messages: for
// these the library reports a 0-based line, for scanner errors a 1-based one.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlError reports a YAML syntax error. The library gives a line (its
// parser 0-based, its scanner 1-based) and no column; for bad characters it
// gives neither, so they are found here.
func yamlError(errs *collector, data []byte, err error) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		errs.at(1, 1, "invalid YAML: %v", err)
		return
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	switch {
	case parserProblems[msg]:
		line++
	case m[1] == "":
		if l, c, ok := badChar(data); ok {
			errs.at(l, c, "invalid YAML: %s", msg)
			return
		}
	}
	errs.at(line, 1, "invalid YAML: %s", msg)
}

// badChar finds the first character YAML does not allow: invalid UTF-8,
// or a control character other than tab, line feed and carriage return.
func badChar(data []byte) (line, col int, ok bool) {
	for l, s := range splitLines(string(data)) {
		col := 1
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			bad := r == utf8.RuneError && size <= 1 ||
				r < 0x20 && r != '\t' ||
				r >= 0x7f && r <= 0x9f ||
				r == 0xfffe || r == 0xffff
			if bad {
				return l + 1, col, true
			}
			col++
			i += size
		}
	}
	return 0, 0, false
}

// emptyCatalog stands in for a nil Catalog: no roles, no NAT profiles.
type emptyCatalog struct{}

func (emptyCatalog) RoleOptions(string) (any, bool) { return nil, false }
func (emptyCatalog) Roles() []string                { return nil }
func (emptyCatalog) NATProfiles() []string          { return nil }

// String summarises the scenario for logs.
func (s *Scenario) String() string {
	homes := 0
	for _, g := range s.Topology.Homes {
		homes += g.Count
	}
	return fmt.Sprintf("%s (%s, %d servers, %d homes, %d events, %d assertions)",
		s.Name, s.Duration, len(s.Topology.Servers), homes, len(s.Timeline), len(s.Assertions))
}

// decodeOne decodes the one YAML document of data: doc is nil when data
// holds none, ok is false after a reported error. A second document is
// reported (second says what the text should hold) but the first is kept.
func decodeOne(errs *collector, data []byte, second string) (doc *yaml.Node, ok bool) {
	defer func() {
		if r := recover(); r != nil { // the YAML library's bug, not the text's
			errs.at(1, 1, "invalid YAML: parser failed: %v", r)
			doc, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var d yaml.Node
	switch err := dec.Decode(&d); {
	case errors.Is(err, io.EOF):
		return nil, true
	case err != nil:
		yamlError(errs, data, err)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		errs.node(&extra, "a second YAML document; %s", second)
	case !errors.Is(err, io.EOF):
		yamlError(errs, data, err)
	}
	return &d, true
}
