package reports

import (
	"cmp"
	_ "embed"
	"html/template"
	"io"
	"math"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":  formatNumber,
	"full": fullNumber,
	"href": relativeHref,
	"dur":  formatDuration,
	"time": formatTime,
	"secs": formatSeconds,
}).Parse(htmlSource))

// WriteHTML writes r as one self-contained HTML page: inline CSS, no scripts,
// and no reference to anything outside the page except relative links to the
// run's other files (r.Files).
func WriteHTML(w io.Writer, r *Run) error {
	return htmlTemplate.Execute(w, htmlPage{Run: r, Passed: r.Passed(), Failed: r.Failures(), NAT: natCounts(r.Topology.NAT),
		Matrix: TraversalMatrix(r), Cameras: CameraTable(r)})
}

// htmlPage is what the template sees: the run plus what it cannot compute.
type htmlPage struct {
	*Run
	Passed  bool
	Failed  int
	NAT     []natCount
	Matrix  *PeerMatrix // seed 001 caller × callee, nil without peer sessions
	Cameras []CameraRow // seed 002 per home group, nil without cameras
}

type natCount struct {
	Profile  string
	Gateways int
}

// natCounts lists NAT profiles by gateways running them, most first.
func natCounts(m map[string]int) []natCount {
	var list []natCount
	for p, n := range m {
		list = append(list, natCount{p, n})
	}
	slices.SortFunc(list, func(a, b natCount) int {
		if c := cmp.Compare(b.Gateways, a.Gateways); c != 0 {
			return c
		}
		return strings.Compare(a.Profile, b.Profile)
	})
	return list
}

// formatNumber shortens a metric value for a table cell: at most three
// decimals, fewer as the value grows, three significant digits below 0.001.
func formatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	a := math.Abs(v)
	var s string
	switch {
	case a == 0 || a >= 1e15:
		return strconv.FormatFloat(v, 'g', 6, 64)
	case a >= 1000:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.001:
		s = strconv.FormatFloat(v, 'f', 3, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// fullNumber is the exact value, for a cell's tooltip.
func fullNumber(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// relativeHref turns a file name relative to the report into a link that can
// only be relative: the path is cleaned, leading "/" dropped, segments
// escaped so "a b#1.pcap" stays one file, and "x:y" gets a "./" so it cannot
// become a URL scheme.
func relativeHref(name string) string {
	u := url.URL{Path: strings.TrimLeft(path.Clean(name), "/")}
	return u.String()
}

func formatDuration(d Duration) string {
	switch v := time.Duration(d); {
	case v.Abs() >= time.Second:
		return v.Round(time.Millisecond).String()
	case v.Abs() >= time.Millisecond:
		return v.Round(10 * time.Microsecond).String()
	}
	return d.String()
}

// formatSeconds shows a time to connect given in seconds, "–" for none.
func formatSeconds(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	d := time.Duration(v * float64(time.Second))
	switch {
	case d.Abs() >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d.Abs() >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Format("2006-01-02 15:04:05 MST")
}
