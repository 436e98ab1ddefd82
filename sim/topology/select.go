package topology

import (
	"fmt"
	"math/rand/v2"

	"github.com/boxlab/boxlab/sim/scenario"
)

// Select returns the nodes a selector picks: the gateways of the chosen
// homes, or their devices when the selector names one, or a server or ISP.
// Percent and count samples are drawn with rng, so a seeded run repeats.
func (p *Plan) Select(sel scenario.Selector, rng *rand.Rand) ([]*Node, error) {
	switch sel.Kind {
	case "server":
		n := p.Servers[sel.Name]
		if n == nil {
			return nil, fmt.Errorf("selector %q: no server %q", sel.Src, sel.Name)
		}
		return []*Node{n}, nil
	case "isp":
		n := p.ISPs[sel.Name]
		if n == nil {
			return nil, fmt.Errorf("selector %q: no ISP %q", sel.Src, sel.Name)
		}
		return []*Node{n}, nil
	}
	homes := p.Homes
	if sel.Group != "" {
		var ok bool
		if homes, ok = p.Groups[sel.Group]; !ok {
			return nil, fmt.Errorf("selector %q: no home group %q", sel.Src, sel.Group)
		}
	}
	switch {
	case sel.Indexed:
		if sel.From < 0 || sel.To >= len(homes) || sel.From > sel.To {
			return nil, fmt.Errorf("selector %q: index out of range 0..%d", sel.Src, len(homes)-1)
		}
		homes = homes[sel.From : sel.To+1]
	case sel.Percent > 0:
		homes = sample(homes, int(float64(len(homes))*sel.Percent/100+0.5), rng)
	case sel.Count > 0:
		if sel.Count > len(homes) {
			return nil, fmt.Errorf("selector %q: only %d homes", sel.Src, len(homes))
		}
		homes = sample(homes, sel.Count, rng)
	}
	var out []*Node
	for _, h := range homes {
		if sel.Device == "" {
			out = append(out, h.Gateway)
			continue
		}
		for _, d := range h.Devices {
			if d.Device == sel.Device {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// sample picks k homes at random keeping their order.
func sample(homes []*Home, k int, rng *rand.Rand) []*Home {
	if k >= len(homes) {
		return homes
	}
	idx := rng.Perm(len(homes))[:k]
	pick := make([]bool, len(homes))
	for _, i := range idx {
		pick[i] = true
	}
	out := make([]*Home, 0, k)
	for i, h := range homes {
		if pick[i] {
			out = append(out, h)
		}
	}
	return out
}
