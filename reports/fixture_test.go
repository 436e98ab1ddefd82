package reports

import (
	"math"
	"time"
)

// sampleRun is a run with a bit of everything: a passing and a failing
// assertion, a failed timeline event, metrics and artefacts.
func sampleRun() *Run {
	return &Run{
		Scenario:    "cwmp-storm",
		File:        "scenarios/cwmp-storm.yaml",
		Description: "500 homes reconnect to the ACS after a core outage",
		RunID:       "20250601T101500-7f3a",
		Started:     time.Date(2025, 6, 1, 10, 15, 0, 0, time.UTC),
		Wall:        Duration(95*time.Second + 420*time.Millisecond),
		SimDuration: Duration(10 * time.Minute),
		Speed:       10,
		Topology: Topology{
			Namespaces: 1507, Servers: 3, ISPs: 2, Homes: 500, Gateways: 500, Devices: 1000,
			Build: Duration(41 * time.Second), Teardown: Duration(12*time.Second + 300*time.Millisecond),
			NAT: map[string]int{"linux": 300, "eim-adm": 150, "apdm": 50},
		},
		Timeline: []TimelineEntry{
			{At: Duration(time.Minute), Do: "link-down", On: "server[acs]", Nodes: 1, For: Duration(30 * time.Second)},
			{At: Duration(3 * time.Minute), Do: "gateway-reboot", On: "homes:10%", Nodes: 50, For: Duration(time.Second)},
			{At: Duration(5 * time.Minute), Do: "wan-change", On: "cam[0-9]", Nodes: 10, Error: "cam3-gw: netlink: file exists"},
		},
		Assertions: []AssertionResult{
			{Name: "informs arrive", Expr: "rate(cwmp.inform) > 0.9 during storm", Expected: "> 0.9", Measured: "0.97", Pass: true},
			{Name: "acs latency", Expr: "p95(cwmp.session.seconds) < 2s", Expected: "< 2s", Measured: "3.41s", Pass: false,
				Detail: "worst homes: home17, home203, home388"},
			{Name: "no lost sessions", Expr: "count(cwmp.session.lost) == 0", Expected: "== 0", Measured: "0", Pass: true},
		},
		Metrics: []MetricSummary{
			{Name: "cwmp.session.seconds", Count: 5210, Sum: 6120.5, Min: 0.0412, Max: 9.87, Mean: 1.1747, P50: 0.82, P95: 3.41, P99: 6.02},
			{Name: "cwmp.inform", Count: 5230, Sum: 5230, Min: 1, Max: 1, Mean: 1, P50: 1, P95: 1, P99: 1},
			{Name: "nat.mapping.created", Count: 182344, Sum: 182344, Min: 1, Max: 1, Mean: 1, P50: 1, P95: 1, P99: 1},
			{Name: "stun.rtt.seconds", Count: 0, Sum: 0, Min: math.NaN(), Max: math.NaN(), Mean: math.NaN(), P50: math.NaN(), P95: math.NaN(), P99: math.NaN()},
		},
		Files: []string{"events.jsonl", "pcap/acs.pcap", "exec/home17-gw.log"},
	}
}
