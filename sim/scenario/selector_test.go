package scenario

import (
	"errors"
	"testing"
)

// TestParseSelector follows the grammar on Selector, one row per form.
func TestParseSelector(t *testing.T) {
	tests := []struct {
		src  string
		want Selector
	}{
		{"homes", Selector{Kind: SelectHomes}},
		{"homes:10%", Selector{Kind: SelectHomes, Percent: 10}},
		{"homes:12.5%", Selector{Kind: SelectHomes, Percent: 12.5}},
		{"homes:100%", Selector{Kind: SelectHomes, Percent: 100}},
		{"homes:25", Selector{Kind: SelectHomes, Count: 25}},
		{"home[3]", Selector{Kind: SelectHomes, Group: "home", From: 3, To: 3, Indexed: true}},
		{"cam[0-9]", Selector{Kind: SelectHomes, Group: "cam", From: 0, To: 9, Indexed: true}},
		{"cam:50%", Selector{Kind: SelectHomes, Group: "cam", Percent: 50}},
		{"cam", Selector{Kind: SelectHomes, Group: "cam"}},
		{"home[3].stb", Selector{Kind: SelectHomes, Group: "home", From: 3, To: 3, Indexed: true, Device: "stb"}},
		{"homes.stb", Selector{Kind: SelectHomes, Device: "stb"}},
		{"homes:25.stb", Selector{Kind: SelectHomes, Count: 25, Device: "stb"}},
		{"homes:2.5%.stb-2", Selector{Kind: SelectHomes, Percent: 2.5, Device: "stb-2"}},
		{"server[acs]", Selector{Kind: SelectServer, Name: "acs"}},
		{"isp[isp1]", Selector{Kind: SelectISP, Name: "isp1"}},
	}
	for _, tt := range tests {
		got, err := ParseSelector(tt.src)
		tt.want.Src = tt.src
		if err != nil || got != tt.want {
			t.Errorf("ParseSelector(%q) = %+v, %v; want %+v", tt.src, got, err, tt.want)
		}
	}
}

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct {
		src    string
		offset int
		msg    string
	}{
		{"", 0, "empty; want one of " + selectorForms},
		{"Home", 0, "want one of " + selectorForms},
		{"homes:0%", 6, "percent 0% out of range; want 0 < percent <= 100"},
		{"homes:100.5%", 6, "percent 100.5% out of range; want 0 < percent <= 100"},
		{"homes:0", 6, "count 0; want a count > 0"},
		{"homes:", 6, "want a count like 25 or a percent like 10% after \":\""},
		{"home[3-1]", 5, "index range 3-1 is backwards; want from <= to"},
		{"home[3", 6, "want \"]\" to close the index, like home[3] or home[0-9]"},
		{"home[-1]", 5, "want an index like home[3] or a range like home[0-9]"},
		{"homes[1]", 5, "an index needs a group name, like home[3]"},
		{"home.", 5, "want a device name after \".\", like home[3].stb"},
		{"server", 6, "want server[NAME]"},
		{"server[a].stb", 9, "unexpected \".stb\"; want one of " + selectorForms},
		{"isp[]", 4, "want isp[NAME] with NAME like [a-z][a-z0-9-]*"},
		{"home[1073741825]", 5, "number 1073741825 too large; want at most 1073741824"},
		{"home:1.5", 5, "want a whole count like 25 or a percent like 1.5%"},
	}
	for _, tt := range tests {
		_, err := ParseSelector(tt.src)
		var se *SelectorError
		if !errors.As(err, &se) || se.Offset != tt.offset || se.Msg != tt.msg {
			t.Errorf("ParseSelector(%q) error = %#v; want offset %d, %q", tt.src, err, tt.offset, tt.msg)
		}
	}
}

// TestScalarColumns checks that an offset inside a scalar maps to the
// right column for every scalar style.
func TestScalarColumns(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
	}{
		{"plain", "on: home[3-1]\n", 1, 10},
		{"single quoted", "on: 'home[3-1]'\n", 1, 11},
		{"single quoted with ''", "on: 'it''s home[3-1]'\n", 1, 17},
		{"double quoted", "on: \"home[3-1]\"\n", 1, 11},
		{"double quoted escape", "on: \"\\x41home[3-1]\"\n", 1, 15},
		{"literal block", "on: |\n  first\n  xhome[3-1]\n", 3, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := &collector{file: "f"}
			root := parseYAML(errs, []byte(tt.src))
			if root == nil {
				t.Fatal(errs.result())
			}
			d := newDecoder(errs, []byte(tt.src))
			n := root.Content[1]
			off := len(n.Value) - len("3-1]") // the byte where "3-1]" starts
			if n.Value[len(n.Value)-1] == '\n' {
				off--
			}
			if line, col := d.scalarPos(n, off); line != tt.line || col != tt.col {
				t.Errorf("scalarPos = %d:%d, want %d:%d", line, col, tt.line, tt.col)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"cout", "count", 1}, {"ecoh", "echo", 1}, {"", "abc", 3}, {"linux", "linux", 0}, {"base", "name", 2}} {
		if got := editDistance(tt.a, tt.b); got != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
}
