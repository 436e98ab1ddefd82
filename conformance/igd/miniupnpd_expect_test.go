package igd_test

// What Debian's miniupnpd (2.3.1, IGD:2 build, nftables backend; started by
// testdata/miniupnpd-igd.sh) was seen to do where it deviates from the
// rules of requirements_test.go: requirement ID -> a regular expression its
// observed deviation matches. Written from runs of this suite (2026-11-22),
// not from its source; the notes are our reading. Each entry is a finding
// about a real IGD, kept here so the suite reports it as "differs" and
// fails when the behaviour changes (then the entry goes).
var miniupnpdExpect = expectations{
	// It answers an M-SEARCH that has no MAN: "ssdp:discover" header (it
	// does not check MAN); one without ST is not answered.
	"ssdp-malformed": `^answered an M-SEARCH without MAN: "HTTP/1\.1 200 OK"$`,
	// DeletePortMapping of a mapping it has just deleted succeeds again
	// instead of 714 NoSuchEntryInArray.
	"delete": `^second delete: DeletePortMapping succeeded$`,
	// It dispatches on the SOAPAction header, not on the body's element: a
	// DeletePortMapping SOAPAction on a GetExternalIPAddress body runs
	// DeletePortMapping and finds no arguments (402); an unknown action is
	// 401 as the rule says.
	"invalid-action-401": `^SOAPAction DeletePortMapping on a GetExternalIPAddress body: the request: UPnP error 402$`,
	// For the same reason a body that is an XML bomb, or 64 KiB of '<',
	// under a GetExternalIPAddress SOAPAction is answered as a success (the
	// action takes no arguments; its small parser expands no entities, so
	// the bomb costs it nothing). It keeps answering afterwards.
	"hostile-xml": `^an XML bomb \(DTD entities\) was answered as a success; a 64 KiB body of '<' was answered as a success$`,
}

// miniupnpdV1Expect is the same daemon with force_igd_desc_v1=yes (target
// "miniupnpd IGDv1", run when BOXLAB_IGD_MINIUPNPD_V1 is set).
var miniupnpdV1Expect = miniupnpdExpect
