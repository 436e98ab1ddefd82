package reports

import (
	"math"
	"strings"
)

// Outcome is what became of the sessions of one traversal matrix cell.
type Outcome string

// Outcomes of a cell.
const (
	Direct  Outcome = "direct"  // at least one session connected without the relay
	Relayed Outcome = "relayed" // sessions connected, all through the relay
	Failed  Outcome = "failed"  // sessions were tried and none connected
)

// PeerCell is one caller group × callee group cell of the seed 001 matrix,
// from the peers' per-pair events (peer.session_up_<caller>_<callee> with
// its latency, peer.session_direct_…, peer.session_relayed_…,
// peer.session_failed_…).
type PeerCell struct {
	Caller, Callee       string // home groups
	CallerNAT, CalleeNAT string // their NAT profiles ("" when unknown)
	Outcome              Outcome
	Up, Relayed, Failed  int     // sessions up (relayed among them), sessions that failed
	Median               float64 // median time to connect in seconds (NaN with none up)
	// Expect is what the NAT profiles predict for a direct path ("direct"
	// or "relay or fail"), "" when a profile's behaviour is unknown.
	Expect   string
	Mismatch bool // the outcome contradicts Expect
}

// PeerMatrix is the seed 001 traversal matrix of a run: caller groups down,
// callee groups across, in the scenario's order.
type PeerMatrix struct {
	Callers, Callees []HomeGroup
	Cells            [][]*PeerCell // [caller][callee]; nil where the pair was not tried
}

// CameraRow is seed 002's result for one home group: camera resources the
// triggers reported, connects and connect failures the platform recorded,
// and the median time to connect (platform.resource_<group>,
// platform.connected_<group> with its latency, platform.connect_failed_<group>).
type CameraRow struct {
	Group             HomeGroup
	Resources         int
	Connected, Failed int
	Median            float64 // seconds; NaN with no connect
	Outcome           Outcome // Direct when every resource connected, Failed when none did, "" in between
}

// TraversalMatrix builds the seed 001 matrix from r's metrics, nil when the
// run has no per-pair peer events.
func TraversalMatrix(r *Run) *PeerMatrix {
	type agg struct {
		up, direct, relayed, failed int
		median                      float64
		seen, hasDirect             bool
	}
	cells := map[[2]string]*agg{}
	get := func(c, t string) *agg {
		a := cells[[2]string{c, t}]
		if a == nil {
			a = &agg{median: math.NaN()}
			cells[[2]string{c, t}] = a
		}
		return a
	}
	for _, m := range r.Metrics {
		for _, kind := range []string{"up", "direct", "relayed", "failed"} {
			rest, ok := strings.CutPrefix(m.Name, "peer.session_"+kind+"_")
			if !ok {
				continue
			}
			rest, latency := strings.CutSuffix(rest, ".latency")
			c, t, ok := strings.Cut(rest, "_")
			if !ok || c == "" || t == "" || strings.ContainsAny(t, "_.") || strings.Contains(c, ".") {
				continue
			}
			a := get(c, t)
			a.seen = true
			switch {
			case latency && kind == "up":
				a.median = m.P50
			case latency:
			case kind == "up":
				a.up = m.Count
			case kind == "direct":
				a.direct, a.hasDirect = m.Count, true
			case kind == "relayed":
				a.relayed = m.Count
			case kind == "failed":
				a.failed = m.Count
			}
		}
	}
	if len(cells) == 0 {
		return nil
	}
	groups := r.Topology.Groups
	byName := map[string]HomeGroup{}
	for _, g := range groups {
		byName[g.Name] = g
	}
	group := func(n string) HomeGroup {
		if g, ok := byName[n]; ok {
			return g
		}
		return HomeGroup{Name: n}
	}
	// Rows and columns in the scenario's order, then any group the
	// topology does not list, in name order.
	order := func(pick func(k [2]string) string) []HomeGroup {
		used := map[string]bool{}
		for k := range cells {
			used[pick(k)] = true
		}
		var out []HomeGroup
		for _, g := range groups {
			if used[g.Name] {
				out = append(out, g)
				delete(used, g.Name)
			}
		}
		var rest []string
		for n := range used {
			rest = append(rest, n)
		}
		sortStrings(rest)
		for _, n := range rest {
			out = append(out, group(n))
		}
		return out
	}
	pm := &PeerMatrix{Callers: order(func(k [2]string) string { return k[0] }), Callees: order(func(k [2]string) string { return k[1] })}
	for _, c := range pm.Callers {
		row := make([]*PeerCell, len(pm.Callees))
		for j, t := range pm.Callees {
			a := cells[[2]string{c.Name, t.Name}]
			if a == nil || !a.seen {
				continue
			}
			cell := &PeerCell{Caller: c.Name, Callee: t.Name, CallerNAT: c.NAT, CalleeNAT: t.NAT, Up: a.up, Relayed: a.relayed, Failed: a.failed, Median: a.median}
			direct := a.direct
			if !a.hasDirect { // peers from before the relay: every session up was direct
				direct = a.up - a.relayed
			}
			switch {
			case direct > 0:
				cell.Outcome = Direct
			case a.up > 0:
				cell.Outcome = Relayed
			default:
				cell.Outcome = Failed
			}
			if !c.NATOptions && !t.NATOptions && c.ISP == "" && t.ISP == "" {
				if punch, known := CanPunch(c.NAT, t.NAT); known {
					cell.Expect = "relay or fail"
					if punch {
						cell.Expect = "direct"
					}
					cell.Mismatch = punch != (cell.Outcome == Direct)
				}
			}
			row[j] = cell
		}
		pm.Cells = append(pm.Cells, row)
	}
	return pm
}

// CameraTable builds seed 002's per-group results from r's metrics, nil
// when the run has no platform resources per group.
func CameraTable(r *Run) []CameraRow {
	byName := map[string]MetricSummary{}
	for _, m := range r.Metrics {
		byName[m.Name] = m
	}
	var rows []CameraRow
	for _, g := range r.Topology.Groups {
		res := byName["platform.resource_"+g.Name].Count
		if res == 0 {
			continue
		}
		row := CameraRow{Group: g, Resources: res, Connected: byName["platform.connected_"+g.Name].Count,
			Failed: byName["platform.connect_failed_"+g.Name].Count, Median: math.NaN()}
		if m, ok := byName["platform.connected_"+g.Name+".latency"]; ok && m.Count > 0 {
			row.Median = m.P50
		}
		switch {
		case row.Connected >= row.Resources:
			row.Outcome = Direct
		case row.Connected == 0:
			row.Outcome = Failed
		}
		rows = append(rows, row)
	}
	return rows
}
