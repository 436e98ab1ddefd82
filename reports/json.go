package reports

import (
	"encoding/json"
	"io"
)

// WriteJSON writes r as indented JSON. Nil lists are written as [] so readers
// never have to tell null from empty.
func WriteJSON(w io.Writer, r *Run) error {
	c := *r
	if c.Timeline == nil {
		c.Timeline = []TimelineEntry{}
	}
	if c.Assertions == nil {
		c.Assertions = []AssertionResult{}
	}
	if c.Metrics == nil {
		c.Metrics = []MetricSummary{}
	}
	if c.Files == nil {
		c.Files = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // expressions such as "p95 < 200ms" stay readable
	return enc.Encode(&c)
}
