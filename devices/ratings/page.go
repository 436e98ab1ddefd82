package ratings

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"time"

	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// The ratings page (GET /ratings.html) is one self-contained HTML document:
// tables and inline SVG bar charts, no scripts, no external assets, so it
// can be saved and opened anywhere. The same figures are JSON at /ratings.

// pageRow is one table row and bar of the page.
type pageRow struct {
	Key                string
	Viewers, Viewings  int
	Total, Average     string
	Share              float64
	BarWidth, BarY, TY int
}

type pageData struct {
	Now                                  string
	Viewings                             int
	Total                                string
	Channels, Programmes, Windows, Users []pageRow
	ChartHeight                          int
}

const barMax = 400

func rows(m map[string]audience.Figures, order []string, limit int) []pageRow {
	if order == nil {
		for k := range m {
			order = append(order, k)
		}
		sort.Strings(order)
	}
	var out []pageRow
	for i, k := range order {
		if limit > 0 && i >= limit {
			break
		}
		f := m[k]
		out = append(out, pageRow{Key: k, Viewers: f.Viewers, Viewings: f.Viewings, Total: f.Total.Round(time.Second).String(),
			Average: f.Average.Round(time.Second).String(), Share: f.Share, BarWidth: int(f.Share*barMax + 0.5),
			BarY: 22 * i, TY: 22*i + 15})
	}
	return out
}

// WritePage renders rep as the ratings page at server time now.
func WritePage(w io.Writer, rep audience.Report, now time.Duration) error {
	d := pageData{Now: now.Round(time.Second).String(), Viewings: rep.Viewings, Total: rep.Total.Round(time.Second).String(),
		Channels: rows(rep.Channels, rep.MostWatchedChannels, 0), Programmes: rows(rep.Programmes, rep.MostWatchedProgrammes, 20),
		Windows: rows(rep.Windows, nil, 0)}
	d.ChartHeight = 22*len(d.Channels) + 4
	users := make([]string, 0, len(rep.Preferences))
	for u := range rep.Preferences {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		p := rep.Preferences[u]
		d.Users = append(d.Users, pageRow{Key: u, Total: p.Total.Round(time.Second).String(), Average: p.Service + " / " + p.Program})
	}
	if err := pageTemplate.Execute(w, d); err != nil {
		return fmt.Errorf("ratings page: %w", err)
	}
	return nil
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Audience ratings</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
svg text{font-size:12px}
</style>
</head>
<body>
<h1>Audience ratings</h1>
<p id="summary">{{.Viewings}} counted viewings, {{.Total}} watched in total, at server time {{.Now}}.</p>
<h2>Channels</h2>
<svg id="channel-chart" xmlns="http://www.w3.org/2000/svg" width="520" height="{{.ChartHeight}}" role="img" aria-label="share of viewing time per channel">
{{range .Channels}}<rect x="60" y="{{.BarY}}" width="{{.BarWidth}}" height="18" fill="#4a7ebb"><title>{{.Key}}: {{pct .Share}}</title></rect><text x="0" y="{{.TY}}">{{.Key}}</text><text x="{{.BarWidth}}" dx="64" y="{{.TY}}">{{pct .Share}}</text>
{{end}}</svg>
<table id="channels">
<thead><tr><th>Channel</th><th>Viewers</th><th>Viewings</th><th>Total</th><th>Average</th><th>Share</th></tr></thead>
<tbody>
{{range .Channels}}<tr><td>{{.Key}}</td><td>{{.Viewers}}</td><td>{{.Viewings}}</td><td>{{.Total}}</td><td>{{.Average}}</td><td>{{pct .Share}}</td></tr>
{{end}}</tbody>
</table>
<h2>Most-watched programmes</h2>
<table id="programmes">
<thead><tr><th>Programme</th><th>Viewers</th><th>Viewings</th><th>Total</th><th>Average</th><th>Share</th></tr></thead>
<tbody>
{{range .Programmes}}<tr><td>{{.Key}}</td><td>{{.Viewers}}</td><td>{{.Viewings}}</td><td>{{.Total}}</td><td>{{.Average}}</td><td>{{pct .Share}}</td></tr>
{{end}}</tbody>
</table>
<h2>Rating windows (method A)</h2>
<table id="windows">
<thead><tr><th>Window</th><th>Viewers</th><th>Viewings</th><th>Total</th><th>Average</th><th>Share</th></tr></thead>
<tbody>
{{range .Windows}}<tr><td>{{.Key}}</td><td>{{.Viewers}}</td><td>{{.Viewings}}</td><td>{{.Total}}</td><td>{{.Average}}</td><td>{{pct .Share}}</td></tr>
{{end}}</tbody>
</table>
<h2>Viewer preferences</h2>
<table id="preferences">
<thead><tr><th>User</th><th>Most watched channel / programme</th><th>Total on that channel</th></tr></thead>
<tbody>
{{range .Users}}<tr><td>{{.Key}}</td><td>{{.Average}}</td><td>{{.Total}}</td></tr>
{{end}}</tbody>
</table>
</body>
</html>
`))
