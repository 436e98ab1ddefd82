package reports

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func renderHTML(t *testing.T, r *Run) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHTMLShowsEveryAssertion(t *testing.T) {
	r := sampleRun()
	page := renderHTML(t, r)
	for _, a := range r.Assertions {
		if !strings.Contains(page, a.Name) {
			t.Errorf("page lacks assertion %q", a.Name)
		}
	}
	for _, want := range []string{`<section id="charts">`, `class="verdict">FAIL<`, "cam3-gw: netlink: file exists", "cwmp.session.seconds"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestHTMLVerdict(t *testing.T) {
	passing := sampleRun()
	passing.Assertions[1].Pass = true
	errored := &Run{Scenario: "broken", Error: "build: permission denied"}
	tests := []struct {
		name string
		run  *Run
		want string
	}{
		{"all pass", passing, `class="verdict">PASS<`},
		{"one fails", sampleRun(), `class="verdict">FAIL<`},
		{"run error", errored, `class="verdict">FAIL<`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if page := renderHTML(t, tt.run); !strings.Contains(page, tt.want) {
				t.Errorf("page lacks %s", tt.want)
			}
		})
	}
	if page := renderHTML(t, errored); !strings.Contains(page, "build: permission denied") {
		t.Errorf("errored page does not show the error")
	}
}

func TestHTMLEscapes(t *testing.T) {
	r := sampleRun()
	r.Scenario = "<script>alert(1)</script>"
	r.Assertions[0].Name = "<script>alert(2)</script>"
	r.Assertions[0].Detail = `<img src=x onerror=alert(3)>`
	r.Metrics[0].Name = "</style><script>alert(4)</script>"
	page := renderHTML(t, r)
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %s", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(2)&lt;/script&gt;") {
		t.Errorf("escaped assertion name missing")
	}
}

func TestHTMLSelfContained(t *testing.T) {
	page := renderHTML(t, sampleRun())
	for _, bad := range []string{"http://", "https://", "src=", "@import", "url(", "<script", "<iframe", "<object"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q: it must load nothing from anywhere", bad)
		}
	}
}

func TestHTMLArtefactLinksStayRelative(t *testing.T) {
	r := sampleRun()
	r.Files = []string{
		"events.jsonl", "pcap/acs.pcap", "odd name #1?.log",
		"/etc/passwd", "../shared/core.pcap", "c:x.log",
		"https://example.com/x.pcap", "//example.com/x", "javascript:alert(1)",
	}
	want := []string{
		"events.jsonl", "pcap/acs.pcap", "odd%20name%20%231%3F.log",
		"etc/passwd", "../shared/core.pcap", "./c:x.log",
		"./https:/example.com/x.pcap", "example.com/x", "./javascript:alert%281%29",
	}
	page := renderHTML(t, r)
	var got []string
	for _, m := range regexp.MustCompile(`<li><a href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		got = append(got, m[1])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("artefact hrefs:\n got %q\nwant %q", got, want)
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{0.82, "0.82"},
		{1.1747, "1.175"},
		{123.456, "123.5"},
		{6120.5, "6120"}, // round half to even
		{182344, "182344"},
		{0.0000412, "4.12e-05"},
		{-3.5, "-3.5"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.v); got != tt.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
