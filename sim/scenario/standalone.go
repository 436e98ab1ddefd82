package scenario

import (
	"go.yaml.in/yaml/v3"
)

// ParseOptions decodes data, the text of one options mapping as it would
// stand under a node's `options:` key (e.g. `{acs: acs, period: 10s}`),
// into value, the fresh options value a catalog returns for role, with the
// same strict decoder a scenario file gets, then runs value's own Check
// (OptionsChecker) against s (the servers the options may name; nil for
// none). Empty text leaves the defaults. Problems come back as an
// *ErrorList of "file:line:col: msg" lines, every one at once; file names
// the text in them (a file name, or e.g. "--options").
func ParseOptions(file string, data []byte, role string, value any, s *Scenario) error {
	errs := &collector{file: file}
	if s == nil {
		s = &Scenario{}
	}
	n := parseOptionsYAML(errs, data)
	if errs.list != nil {
		return errs.result()
	}
	d := newDecoder(errs, data)
	o := &Options{}
	if n != nil {
		o.decodeNode(d, n, "options")
	}
	d.decodeOptionsValue(o, value, "options", "role "+role, role+" options")
	if errs.list != nil {
		return errs.result()
	}
	d.checkOptions(o, nil, Pos{Line: 1, Col: 1}, s)
	return errs.result()
}

// parseOptionsYAML parses one YAML document and returns its top node, nil
// when the text is empty or null (no options: the defaults).
func parseOptionsYAML(errs *collector, data []byte) *yaml.Node {
	doc, ok := decodeOne(errs, data, "want one options mapping")
	if !ok || doc == nil || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil
	}
	return doc.Content[0]
}
