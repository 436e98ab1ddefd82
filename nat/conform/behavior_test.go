package conform

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/nat/table"
	"github.com/boxlab/boxlab/nat/userspace"
)

// Every requirement of the catalogue has an expectation for every
// userspace profile, and Expected finds it by the profile's name.
func TestExpectedCoversEveryRequirementOfEveryUserspaceProfile(t *testing.T) {
	for _, p := range userspace.Profiles() {
		exp, ok := Expected(p.Name)
		if !ok {
			t.Fatalf("%s: no oracle", p.Name)
		}
		for _, r := range Requirements() {
			if _, ok := exp[r.ID]; !ok {
				t.Errorf("%s: no expectation for %s", p.Name, r.ID)
			}
		}
	}
}

func TestExpectedFromBehaviorClassifiesTheNamedProfiles(t *testing.T) {
	rows := []struct {
		profile             string
		b                   table.Behavior
		mapping, filtering  string
		hairpin, refresh    string
		ports               string
		mappingOK, filterOK bool
	}{
		{"full-cone", userspace.FullCone, "EIM", "EIF", "hairpinning", "outbound+inbound refresh", "no overloading, port preserved", true, true},
		{"restricted-cone", userspace.RestrictedCone, "EIM", "ADF", "hairpinning", "outbound refresh", "no overloading, port preserved", true, true},
		{"port-restricted-cone", userspace.PortRestrictedCone, "EIM", "APDF", "hairpinning", "outbound refresh", "no overloading, port preserved", true, false},
		{"symmetric", userspace.Symmetric, "APDM", "APDF", "no hairpinning", "outbound refresh", "no overloading, port not preserved", false, false},
		{"cgnat", userspace.CGNAT, "EIM", "APDF", "hairpinning", "outbound refresh", "no overloading, port not preserved", true, false},
	}
	for _, r := range rows {
		e := ExpectedFromBehavior(r.b)
		check := func(id, behaviour string, complies bool) {
			t.Helper()
			if got := e[id]; got.Behaviour != behaviour || got.Complies != complies || !got.Applicable {
				t.Errorf("%s: %s: got %+v; want behaviour %q, complies %v", r.profile, id, got, behaviour, complies)
			}
		}
		check("RFC4787 REQ-1", r.mapping, r.mappingOK)  // RFC 4787 REQ-1
		check("RFC5382 REQ-1", r.mapping, r.mappingOK)  // RFC 5382 REQ-1
		check("RFC4787 REQ-8", r.filtering, r.filterOK) // RFC 4787 REQ-8
		check("RFC5382 REQ-3", r.filtering, r.filterOK) // RFC 5382 REQ-3
		check("RFC4787 REQ-9", r.hairpin, r.hairpin == "hairpinning")
		check("RFC4787 REQ-6", r.refresh, true)
		check("RFC4787 REQ-4", "parity not preserved", false)
		check("RFC4787 REQ-3", r.ports, true)
		check("RFC4787 REQ-5", "lifetime 3m20s-5m10s", true) // default 5 min
		check("RFC5508 REQ-2", "lifetime 57s-1m5s", true)    // default 60 s
		if e["RFC5382 REQ-5"].Complies != true {
			t.Errorf("%s: RFC 5382 REQ-5: the default 2h4m must comply", r.profile)
		}
	}
}

// The oracle follows each field, not the profile's name.
func TestExpectedFromBehaviorFollowsEachField(t *testing.T) {
	b := userspace.FullCone
	b.Mapping, b.Filtering = table.AddressDependent, table.AddressPortDependent
	b.Parity, b.UDPTimeout, b.ICMPTimeout, b.TCPEstablished = true, 90*time.Second, 30*time.Second, time.Hour
	e := ExpectedFromBehavior(b)
	for id, want := range map[string]Expect{
		"RFC4787 REQ-1": {Applicable: true, Behaviour: "ADM"},
		"RFC4787 REQ-4": {Applicable: true, Complies: true, Behaviour: "parity preserved"},
		"RFC4787 REQ-5": {Applicable: true, Behaviour: "lifetime 1m10s-1m40s"}, // RFC 4787 REQ-5: < 2 min
		"RFC4787 REQ-9": {Applicable: true, Behaviour: "no hairpinning"},       // ADM + APDF: filters never open
		"RFC5508 REQ-2": {Applicable: true, Behaviour: "lifetime 25s-45s"},     // RFC 5508 REQ-2: < 60 s
		"RFC5508 REQ-1": {Applicable: true, Complies: true, Behaviour: "echo passes, id per host"},
		"RFC4787 REQ-6": {Applicable: true, Complies: true, Behaviour: "outbound+inbound refresh"},
		"RFC5382 REQ-5": {Applicable: true},
	} {
		got := e[id]
		if got.Applicable != want.Applicable || got.Complies != want.Complies || (want.Behaviour != "" && got.Behaviour != want.Behaviour) {
			t.Errorf("%s: got %+v; want %+v", id, got, want)
		}
	}
	b.UDPTimeout = 10 * time.Minute
	if e := ExpectedFromBehavior(b)["RFC4787 REQ-6"]; e.Applicable {
		t.Errorf("RFC 4787 REQ-6 with a 10 min timeout: got %+v; want not applicable (outlives the window)", e)
	}
	b.Mapping = 7
	if ExpectedFromBehavior(b) != nil {
		t.Error("an invalid behaviour: want no oracle")
	}
}

// nat_options override the profile's defaults in the oracle as in the gateway.
func TestExpectedForAppliesNATOptions(t *testing.T) {
	e, ok := ExpectedFor(Target{Profile: "full-cone", Options: "{filtering: apdf, hairpin: false}"})
	if !ok {
		t.Fatal("no oracle for full-cone with options")
	}
	if got := e["RFC4787 REQ-8"].Behaviour; got != "APDF" {
		t.Errorf("filtering: got %q; want APDF", got)
	}
	if got := e["RFC4787 REQ-9"].Behaviour; got != "no hairpinning" {
		t.Errorf("hairpinning: got %q; want no hairpinning", got)
	}
	if _, ok := ExpectedFor(Target{Profile: "linux", Options: "{x: 1}"}); ok {
		t.Error("a kernel profile with options: want no oracle")
	}
	if e, _ := Expected("linux"); e["RFC4787 REQ-1"].Behaviour != "EIM" {
		t.Error("the kernel oracle is still used for linux")
	}
}

func TestLifetimeBracket(t *testing.T) {
	probes := []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second}
	for _, r := range []struct {
		timeout time.Duration
		want    string
	}{
		{5 * time.Second, "lifetime under 10s"},
		{10 * time.Second, "lifetime under 10s"},
		{25 * time.Second, "lifetime 20s-30s"},
		{time.Minute, "lifetime over 30s"},
	} {
		if got := lifetimeLabel(probes, r.timeout); got != r.want {
			t.Errorf("timeout %v: got %q; want %q", r.timeout, got, r.want)
		}
	}
	// a probe answered after a silent one does not extend the lifetime
	if got := lifetimeBracket(probes, []bool{true, false, true}); got != "lifetime 10s-20s" {
		t.Errorf("got %q", got)
	}
}

func TestKernelOracleCoversEveryRequirement(t *testing.T) {
	for _, p := range []string{"linux", "linux-random", "linux-fullcone"} {
		exp, ok := Expected(p)
		if !ok {
			t.Fatalf("%s: no oracle", p)
		}
		for _, r := range Requirements() {
			if _, ok := exp[r.ID]; !ok {
				t.Errorf("%s: no expectation for %s", p, r.ID)
			}
		}
	}
}

// An external NAT is measured, never assumed: it has no oracle, and its
// results pass when the check ran.
func TestExternalIsMeasuredNotJudged(t *testing.T) {
	if _, err := External(""); err == nil {
		t.Error("External(\"\"): want an error")
	}
	ext, err := External(`nft -f "my router.nft"`)
	if err != nil {
		t.Fatal(err)
	}
	if ext.Label() != "external" {
		t.Errorf("label %q; want external", ext.Label())
	}
	if _, ok := ExpectedFor(ext); ok {
		t.Error("external: want no oracle")
	}
	r, _ := Find("RFC5382 REQ-2")
	for _, o := range []Outcome{{Applicable: true, Complies: false}, {Applicable: true, Complies: true}} {
		if pass, text := Verdict(Result{Name: "external", Profile: ext.Profile, Options: ext.Options, Requirement: r, Outcome: o}); !pass || !strings.Contains(text, "not judged") {
			t.Errorf("%+v: got %v %q; want a pass that says it is not judged", o, pass, text)
		}
	}
	if pass, _ := Verdict(Result{Profile: ext.Profile, Options: ext.Options, Requirement: r, Outcome: failed(errors.New("x"))}); pass {
		t.Error("a check that could not run must not pass")
	}
}

func TestRequirementIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Requirements() {
		if seen[r.ID] {
			t.Errorf("%s twice", r.ID)
		}
		seen[r.ID] = true
	}
	if Run(context.Background(), nil, nil, Requirements(), 4, nil) != nil {
		t.Error("Run with no targets: want no results")
	}
}
