package reports

import (
	"math"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// matrixRun is a run of three caller groups and two callee groups with one
// cell of each kind: direct, relayed, failed, a mismatch (a direct path
// where the profiles predict none) and a pair never tried.
func matrixRun() *Run {
	m := func(name string, count int, p50 float64) MetricSummary {
		return MetricSummary{Name: name, Count: count, P50: p50, Min: p50, Max: p50, Mean: p50, Sum: p50 * float64(count)}
	}
	return &Run{Scenario: "matrix", Topology: Topology{Groups: []HomeGroup{
		{Name: "full", NAT: "full-cone", Homes: 1}, {Name: "sym", NAT: "symmetric", Homes: 1}, {Name: "lrnd", NAT: "linux-random", Homes: 1},
		{Name: "tofull", NAT: "full-cone", Homes: 1}, {Name: "tosym", NAT: "symmetric", Homes: 1},
	}}, Metrics: []MetricSummary{
		m("peer.session_up", 4, 1),
		m("peer.session_up_full_tosym", 1, 1), m("peer.session_up_full_tosym.latency", 1, 0.41), m("peer.session_direct_full_tosym", 1, 1),
		m("peer.session_up_sym_tosym", 2, 1), m("peer.session_up_sym_tosym.latency", 2, 5.2), m("peer.session_relayed_sym_tosym", 2, 1),
		m("peer.session_direct_sym_tosym", 0, math.NaN()),
		m("peer.session_failed_lrnd_tosym", 3, 1),
		m("peer.session_up_lrnd_tofull", 1, 1), m("peer.session_up_lrnd_tofull.latency", 1, 0.5), m("peer.session_direct_lrnd_tofull", 1, 1),
		m("peer.session_up_full_tofull", 1, 1), m("peer.session_direct_full_tofull", 1, 1),
		m("peer.session_up_sym_tofull", 1, 1), m("peer.session_direct_sym_tofull", 1, 1),
		m("peer.session_up.latency", 4, 0.4), m("peer.session_up_bad", 1, 1), m("peer.session_up_a_b_c", 1, 1),
		m("platform.resource_full", 2, 1), m("platform.connected_full", 2, 1), m("platform.connected_full.latency", 2, 0.2),
		m("platform.resource_sym", 2, 1), m("platform.connect_failed_sym", 2, 1),
	}}
}

func TestTraversalMatrixCells(t *testing.T) {
	pm := TraversalMatrix(matrixRun())
	if pm == nil {
		t.Fatal("no matrix")
	}
	var callers, callees []string
	for _, g := range pm.Callers {
		callers = append(callers, g.Name)
	}
	for _, g := range pm.Callees {
		callees = append(callees, g.Name)
	}
	if strings.Join(callers, ",") != "full,sym,lrnd" || strings.Join(callees, ",") != "tofull,tosym" {
		t.Fatalf("rows %v, columns %v; want the scenario's order and only groups that were tried", callers, callees)
	}
	for _, tc := range []struct {
		i, j     int
		outcome  Outcome
		mismatch bool
		median   float64
	}{
		{0, 0, Direct, false, math.NaN()},
		{0, 1, Direct, false, 0.41},
		{1, 0, Direct, false, math.NaN()},
		{1, 1, Relayed, false, 5.2},
		{2, 0, Direct, false, 0.5},
		{2, 1, Failed, false, math.NaN()},
	} {
		c := pm.Cells[tc.i][tc.j]
		if c == nil {
			t.Fatalf("cell %d,%d missing", tc.i, tc.j)
		}
		if c.Outcome != tc.outcome || c.Mismatch != tc.mismatch || !(c.Median == tc.median || math.IsNaN(c.Median) && math.IsNaN(tc.median)) {
			t.Errorf("%s -> %s: %s mismatch=%v median=%v; want %s %v %v", c.Caller, c.Callee, c.Outcome, c.Mismatch, c.Median, tc.outcome, tc.mismatch, tc.median)
		}
	}
	// A direct path the profiles rule out is a mismatch.
	r := matrixRun()
	r.Metrics = append(r.Metrics, MetricSummary{Name: "peer.session_direct_lrnd_tosym", Count: 1}, MetricSummary{Name: "peer.session_up_lrnd_tosym", Count: 1})
	if c := TraversalMatrix(r).Cells[2][1]; c.Outcome != Direct || !c.Mismatch || c.Expect != "relay or fail" {
		t.Errorf("lrnd -> tosym direct: %+v; want a mismatch against \"relay or fail\"", c)
	}
	r.Topology.Groups[2].ISP = "isp1" // behind a CGNAT: the home profile alone predicts nothing
	if c := TraversalMatrix(r).Cells[2][1]; c.Expect != "" || c.Mismatch {
		t.Errorf("lrnd behind an ISP: %+v; want no expectation", c)
	}
	if TraversalMatrix(&Run{Metrics: []MetricSummary{{Name: "echo.reply", Count: 3}}}) != nil {
		t.Error("a run without peer sessions has no matrix")
	}
}

// TestHTMLMatrix parses the page and reads the matrix back from its cells.
func TestHTMLMatrix(t *testing.T) {
	page := renderHTML(t, matrixRun())
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var rows [][]string
	var cameras = map[string]string{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" && inSection(n, "traversal-matrix") {
			var row []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.Data == "td" {
					row = append(row, attr(c, "class"))
				}
			}
			if row != nil {
				rows = append(rows, row)
			}
		}
		if n.Type == html.ElementNode && n.Data == "td" {
			if c := attr(n, "data-caller"); c != "" {
				got[c+">"+attr(n, "data-callee")] = attr(n, "data-outcome") + "|" + text(n)
			}
			if g := attr(n, "data-group"); g != "" {
				cameras[g] = attr(n, "class") + "|" + text(n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	want := map[string]string{
		"full>tofull": "direct|direct–1 up",
		"full>tosym":  "direct|direct410ms1 up",
		"sym>tofull":  "direct|direct–1 up",
		"sym>tosym":   "relayed|relayed5.2s2 up",
		"lrnd>tofull": "direct|direct500ms1 up",
		"lrnd>tosym":  "failed|failed–0 up · 3 failed",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("cell %s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("cells %v; want %d", got, len(want))
	}
	if len(rows) != 3 || len(rows[0]) != 2 || rows[1][1] != "cell relayed" || rows[2][1] != "cell failed" {
		t.Errorf("row classes %v", rows)
	}
	if cameras["full"] != "cell direct|2" || cameras["sym"] != "cell failed|0" {
		t.Errorf("camera cells %v", cameras)
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page must stay self-contained")
	}
	if strings.Contains(renderHTML(t, &Run{Scenario: "plain"}), "traversal-matrix") {
		t.Error("a run without peer sessions shows no matrix")
	}
}

func inSection(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == "section" && attr(p, "id") == id {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(strings.TrimSpace(n.Data))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
