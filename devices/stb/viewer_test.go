package stb

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/sim/scenario"
)

func TestIMSIIsValidInLogReport(t *testing.T) {
	r := ratings.LogReport{MessageType: ratings.LogIn, UserID: "u", ServiceID: "01", ProgramID: "01-000",
		OnlineState: "online", IMSI: imsiOf("home3-viewer1"), ChannelStat: "s1"}
	if err := r.Validate(); err != nil || len(r.IMSI) != 15 {
		t.Fatalf("IMSI %q: %v", r.IMSI, err)
	}
}

// Seed 004 behaviour model: rank-1 channels are watched most (Zipf), and
// the zap share of dwells is shorter than the minimum viewing time.
func TestChooseZipfAndZaps(t *testing.T) {
	g := ratings.Guide{MinViewing: time.Minute, FrameInterval: time.Second}
	for i := range 8 {
		g.Channels = append(g.Channels, ratings.Channel{ServiceID: ratings.ServiceID(i)})
	}
	o := DefaultViewerOptions()
	r := &viewerRun{Viewer: newViewer(*o), env: &devices.Env{Rand: rand.New(rand.NewPCG(1, 1))}, guide: g}
	counts, zaps := map[string]int{}, 0
	const n = 20000
	for range n {
		s, d := r.choose()
		counts[s]++
		if d < g.MinViewing {
			zaps++
		}
	}
	if !(counts["01"] > counts["02"] && counts["02"] > counts["04"] && counts["04"] > counts["08"]) {
		t.Errorf("channel counts %v are not Zipf-ordered", counts)
	}
	if share := float64(zaps) / n; share < 0.27 || share > 0.33 {
		t.Errorf("zap share %.3f; want about %.1f", share, o.Zap)
	}
}

// Seed 004 §1 both ways: an operator's list (SUBS ... operator) is adopted
// at once with the terminal's own changes still in flight on top, so the
// echoes of those changes match and no mismatch is logged.
func TestSubscriptionsOperatorWhileChangesInFlight(t *testing.T) {
	var journal strings.Builder
	r := &viewerRun{env: &devices.Env{Log: slog.New(slog.NewTextHandler(&journal, nil))}}
	var s subscriptions
	var sent []string
	s.online(func(l string) error { sent = append(sent, l); return nil })
	s.change(r, "02", true)         // SUB 02, in flight
	s.byOperator(r, []string{"05"}) // the operator subscribed 05 before the server read SUB 02
	if got := fmt.Sprint(s.sorted()); got != "[02 05]" {
		t.Fatalf("after the operator's list: %s; want [02 05]", got)
	}
	s.synced(r, []string{"02", "05"}) // the echo of SUB 02
	if strings.Contains(journal.String(), "stb.subs_mismatch") || !strings.Contains(journal.String(), "stb.subs_synced") {
		t.Errorf("journal:\n%s", journal.String())
	}
	if len(sent) != 1 || sent[0] != "SUB 02\n" {
		t.Errorf("sent %q", sent)
	}
}

func TestViewerOptionsCheck(t *testing.T) {
	s := &scenario.Scenario{Topology: scenario.Topology{Servers: []scenario.Server{{Name: "ratings"}}}}
	for _, c := range []struct {
		name  string
		mod   func(o *ViewerOptions)
		field string // "": valid
	}{
		{"defaults", func(*ViewerOptions) {}, ""},
		{"power-on spread", func(o *ViewerOptions) { o.StartWithin = scenario.Duration(2 * time.Minute) }, ""},
		{"negative power-on spread", func(o *ViewerOptions) { o.StartWithin = -1 }, "start_within"},
		{"no HTTP timeout", func(o *ViewerOptions) { o.HTTPTimeout = 0 }, "http_timeout"},
		{"zap share above 1", func(o *ViewerOptions) { o.Zap = 1.5 }, "zap"},
	} {
		o := DefaultViewerOptions()
		o.Server = "ratings"
		c.mod(o)
		errs := o.Check(s)
		if c.field == "" && len(errs) != 0 || c.field != "" && (len(errs) != 1 || errs[0].Field != c.field) {
			t.Errorf("%s: %v; want errors on %q only", c.name, errs, c.field)
		}
	}
}
