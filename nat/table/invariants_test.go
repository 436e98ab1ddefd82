package table

import (
	"fmt"
	"math/bits"
)

// check verifies the table's internal consistency; the fuzz and property
// tests call it after every operation.
func (t *Table) check() error {
	counted := make([][3]int, len(t.wan))
	perHost := map[any]int{}
	dynamic := 0
	hostWAN := map[any]int{}
	for k, m := range t.byExternal {
		if m.dead {
			return fmt.Errorf("dead mapping %v in byExternal", m.external)
		}
		if k.proto != m.proto || k.ap != m.external {
			return fmt.Errorf("byExternal key %v/%v holds %v/%v", k.proto, k.ap, m.proto, m.external)
		}
		if m.wan < 0 || m.wan >= len(t.wan) || t.wan[m.wan] != m.external.Addr() {
			return fmt.Errorf("mapping %v: wan index %d", m.external, m.wan)
		}
		if !t.space(m.wan, m.proto).has(m.external.Port()) {
			return fmt.Errorf("mapping %v/%v: port not marked used", m.proto, m.external)
		}
		counted[m.wan][spaceIndex(m.proto)]++
		if m.static {
			if s := t.static[extKey{m.proto, m.internal}]; s == nil || !s.static || s.dead {
				return fmt.Errorf("static %v: not indexed by internal %v", m.external, m.internal)
			}
			continue
		}
		dynamic++
		perHost[m.internal.Addr()]++
		if t.byInternal[intKey{m.proto, m.internal, m.remote}] != m {
			return fmt.Errorf("dynamic %v/%v: not indexed by internal", m.proto, m.external)
		}
		if m.proto != ICMP {
			if p := m.external.Port(); p < t.b.PortMin || p > t.b.PortMax {
				return fmt.Errorf("dynamic %v/%v: port outside %d-%d", m.proto, m.external, t.b.PortMin, t.b.PortMax)
			}
		}
		if t.b.Parity && m.external.Port()&1 != m.internal.Port()&1 {
			return fmt.Errorf("dynamic %v/%v from %v: parity not kept", m.proto, m.external, m.internal)
		}
		if t.b.Pooling == Paired {
			if w, ok := hostWAN[m.internal.Addr()]; ok && w != m.wan {
				return fmt.Errorf("paired pooling: host %v on two external addresses", m.internal.Addr())
			}
			hostWAN[m.internal.Addr()] = m.wan
		}
		if m.expires == never {
			return fmt.Errorf("dynamic %v/%v never expires", m.proto, m.external)
		}
	}
	for k, m := range t.byInternal {
		if t.byExternal[extKey{m.proto, m.external}] != m || m.static || k.internal != m.internal {
			return fmt.Errorf("byInternal %v holds a mapping not in byExternal", k)
		}
	}
	for k, m := range t.static {
		if t.byExternal[extKey{m.proto, m.external}] != m || !m.static || k.ap != m.internal {
			return fmt.Errorf("static index %v holds a mapping not in byExternal", k)
		}
	}
	for i := range t.spaces {
		for j := range t.spaces[i] {
			s := &t.spaces[i][j]
			n := 0
			for c, chunk := range s.chunks {
				cn := 0
				if chunk != nil {
					for _, w := range chunk {
						cn += bits.OnesCount64(w)
					}
				}
				if cn != int(s.used[c]) {
					return fmt.Errorf("space %d/%d chunk %d: %d bits set, used says %d", i, j, c, cn, s.used[c])
				}
				n += cn
			}
			if n != counted[i][j] || n != s.n {
				return fmt.Errorf("space %d/%d: %d ports used, %d mappings, n=%d", i, j, n, counted[i][j], s.n)
			}
		}
	}
	if dynamic != t.dynamic {
		return fmt.Errorf("dynamic count %d; want %d", t.dynamic, dynamic)
	}
	if t.b.MaxTotal > 0 && dynamic > t.b.MaxTotal {
		return fmt.Errorf("%d dynamic mappings over MaxTotal %d", dynamic, t.b.MaxTotal)
	}
	if t.b.MaxPerHost == 0 {
		perHost = map[any]int{}
	}
	if len(perHost) != len(t.perHost) {
		return fmt.Errorf("perHost has %d hosts; want %d", len(t.perHost), len(perHost))
	}
	for h, n := range t.perHost {
		if perHost[h] != n {
			return fmt.Errorf("perHost[%v] = %d; want %d", h, n, perHost[h])
		}
		if t.b.MaxPerHost > 0 && n > t.b.MaxPerHost {
			return fmt.Errorf("host %v holds %d mappings over MaxPerHost %d", h, n, t.b.MaxPerHost)
		}
	}
	// Every expiring mapping has a timer of its generation due no later than it.
	due := map[*mapping]bool{}
	for _, tm := range t.timers {
		if tm.gen == tm.m.gen && tm.at <= tm.m.expires {
			due[tm.m] = true
		}
	}
	for _, m := range t.byExternal {
		if m.expires != never && !due[m] {
			return fmt.Errorf("mapping %v/%v expiring at %v has no timer", m.proto, m.external, m.expires)
		}
	}
	return nil
}

func spaceIndex(p Proto) int {
	switch p {
	case TCP:
		return 0
	case UDP:
		return 1
	}
	return 2
}
