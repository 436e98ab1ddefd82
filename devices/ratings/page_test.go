package ratings

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// The ratings page is self-contained (no scripts, no external assets), has
// a table row and a chart bar per channel in most-watched order, and
// escapes every value.
func TestWritePage(t *testing.T) {
	m := time.Minute
	vs := []audience.Viewing{
		{User: "u1", Service: "01", Program: "01-000", Start: 0, End: 3 * m},
		{User: "u2", Service: "01", Program: "01-000", Start: 0, End: 2 * m},
		{User: "u3", Service: "02", Program: "02-000", Start: 0, End: 5 * m},
		{User: "<script>alert(1)</script>", Service: "03", Program: "03-001", Start: m, End: 3 * m},
	}
	rep := audience.Compute(vs, audience.Options{Min: m, Now: 10 * m,
		Windows: []audience.Window{{Name: "prime", Service: "01", From: 0, To: 2 * m}}})
	var b bytes.Buffer
	if err := WritePage(&b, rep, 10*m); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "src=", "href=", "url(", "@import"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q: not self-contained or not escaped", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;") {
		t.Error("a user name with markup was not escaped")
	}
	section := func(id, end string) string {
		i := strings.Index(page, `id="`+id+`"`)
		if i < 0 {
			t.Fatalf("no element with id %s", id)
		}
		return page[i : i+strings.Index(page[i:], end)]
	}
	chart, channels := section("channel-chart", "</svg>"), section("channels", "</table>")
	if n := strings.Count(chart, "<rect"); n != 3 {
		t.Errorf("chart has %d bars; want one per channel (3)", n)
	}
	if n := strings.Count(channels, "<tr>"); n != 4 {
		t.Errorf("channel table has %d rows; want header + 3", n)
	}
	// Most watched first: 01 has two viewers.
	order := regexp.MustCompile(`<tr><td>(\d\d)</td>`).FindAllStringSubmatch(channels, -1)
	if len(order) != 3 || order[0][1] != "01" {
		t.Errorf("channel order %v; want 01 first", order)
	}
	if !strings.Contains(section("windows", "</table>"), "<td>prime</td><td>2</td>") {
		t.Error("window prime should show 2 viewers")
	}
	if n := strings.Count(section("preferences", "</table>"), "<tr>"); n != 5 {
		t.Errorf("preferences has %d rows; want header + 4", n)
	}
	for _, tag := range []string{"html", "body", "table", "svg", "tbody", "thead"} {
		if o, c := strings.Count(page, "<"+tag), strings.Count(page, "</"+tag+">"); o != c {
			t.Errorf("<%s>: %d opened, %d closed", tag, o, c)
		}
	}
}
