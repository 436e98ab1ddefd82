package devices

import "regexp"

var groupRE = regexp.MustCompile(`^([a-z][a-z0-9-]*?)\d+-`)

// Group is the home group of a node name (lin3-trigger0 → lin; "other" for
// a server or a name without a home index). Roles log events suffixed with
// it (platform.connected_lin) so a scenario can assert per home group, e.g.
// per NAT profile.
func Group(node string) string {
	if m := groupRE.FindStringSubmatch(node); m != nil {
		return m[1]
	}
	return "other"
}
