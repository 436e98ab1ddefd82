package reports

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// TestMatrixInChromium loads the matrix page in headless Chromium (Debian's
// chromium, when installed) and reads the cells back from the DOM the
// browser built: a malformed table would come out rearranged.
func TestMatrixInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (Debian package chromium): TestHTMLMatrix checks the page with Go's HTML parser")
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(renderHTML(t, matrixRun())), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"--headless", "--disable-gpu", "--no-first-run", "--user-data-dir=" + t.TempDir(), "--dump-dom", "file://" + file}
	if os.Geteuid() == 0 {
		args = append([]string{"--no-sandbox"}, args...) // Chromium refuses to run as root with its sandbox
	}
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	doc, err := html.Parse(strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "td" && attr(n, "data-caller") != "" {
			// The browser kept the cell in its row of the matrix section.
			if n.Parent == nil || n.Parent.Data != "tr" || !inSection(n, "traversal-matrix") {
				t.Errorf("cell %s>%s moved out of its row", attr(n, "data-caller"), attr(n, "data-callee"))
			}
			got[attr(n, "data-caller")+">"+attr(n, "data-callee")] = attr(n, "data-outcome")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	want := map[string]string{"full>tofull": "direct", "full>tosym": "direct", "sym>tofull": "direct", "sym>tosym": "relayed",
		"lrnd>tofull": "direct", "lrnd>tosym": "failed"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("cell %s in Chromium's DOM: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Chromium's DOM has cells %v; want %d", got, len(want))
	}
}
