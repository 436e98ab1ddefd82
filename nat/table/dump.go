package table

import (
	"net/netip"
	"slices"
	"time"
)

// Mappings dumps the live mappings at now, sorted by protocol, internal and
// external endpoint.
func (t *Table) Mappings(now time.Duration) []Mapping {
	out := make([]Mapping, 0, len(t.byExternal))
	for _, m := range t.byExternal {
		if m.expires <= now {
			continue
		}
		r := Mapping{Proto: m.proto, Internal: m.internal, External: m.external, Remote: m.remote, Static: m.static}
		if m.static && m.permit.IsValid() {
			r.Remote = netip.AddrPortFrom(m.permit, 0)
		}
		if m.expires != never {
			r.Expires = m.expires
		}
		if c := m.latestConn(); m.proto == TCP && c != nil {
			r.State = c.state()
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Mapping) int {
		if a.Proto != b.Proto {
			return int(a.Proto) - int(b.Proto)
		}
		if c := a.Internal.Compare(b.Internal); c != 0 {
			return c
		}
		return a.External.Compare(b.External)
	})
	return out
}
