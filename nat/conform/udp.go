package conform

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/boxlab/boxlab/sim/topology"
)

// RFC 4787: NAT behavioural requirements for unicast UDP.
func udpRequirements() []Requirement {
	return []Requirement{
		{ID: "RFC4787 REQ-1", Title: "Endpoint-independent mapping", Level: MUST, Check: checkUDPMapping},
		{ID: "RFC4787 REQ-2", Title: "Paired IP address pooling", Level: RECOMMENDED, Check: checkPooling},
		{ID: "RFC4787 REQ-3", Title: "No port overloading", Level: MUST, Check: checkOverloading},
		{ID: "RFC4787 REQ-4", Title: "Port parity preservation", Level: RECOMMENDED, Check: checkParity},
		{ID: "RFC4787 REQ-5", Title: "UDP mapping timer of at least 2 minutes", Level: MUST, Speed: 30, Check: checkUDPLifetime},
		{ID: "RFC4787 REQ-6", Title: "Outbound traffic refreshes the mapping", Level: MUST, Speed: 60, Check: checkRefresh},
		{ID: "RFC4787 REQ-8", Title: "Endpoint-independent or address-dependent filtering", Level: RECOMMENDED, Check: checkUDPFiltering},
		{ID: "RFC4787 REQ-9", Title: "Hairpinning with the external source address and port", Level: MUST, Check: checkHairpin},
		{ID: "RFC4787 REQ-10", Title: "No UDP ALG rewrites payloads", Level: SHOULD, Check: checkALG},
		{ID: "RFC4787 REQ-11", Title: "Deterministic behaviour, also under port contention", Level: MUST, Check: checkDeterministic},
		{ID: "RFC4787 REQ-12", Title: "ICMP from outside does not destroy the mapping", Level: MUST, Check: checkICMPKeepsMapping},
		{ID: "RFC4787 REQ-13", Title: "Fragment outbound datagrams larger than the WAN MTU; ICMP if DF", Level: MUST, Check: checkFragmentOut},
		{ID: "RFC4787 REQ-14", Title: "In-order and out-of-order fragments", Level: MUST, Check: checkFragmentOrder},
	}
}

// classifyMapping sends from c to s1, s1 on another port, s1's second
// address and s2, and names the mapping behaviour RFC 4787 §4.1 defines.
func (h *Harness) classifyMapping(c *net.UDPConn) (string, string, error) {
	s1, s1alt, s2, err := h.serversOnce()
	if err != nil {
		return "", "", err
	}
	dsts := []struct {
		name string
		dst  netip.AddrPort
		srv  *net.UDPConn
	}{
		{"s1:3478", netip.AddrPortFrom(h.S1Addr, 3478), s1.a},
		{"s1:3479", netip.AddrPortFrom(h.S1Addr, 3479), s1.b},
		{"s1'(2nd address):3478", netip.AddrPortFrom(h.S1Alt, 3478), s1alt},
		{"s2:3478", netip.AddrPortFrom(h.S2Addr, 3478), s2},
	}
	var m []netip.AddrPort
	var seen []string
	for _, d := range dsts {
		got, ok := Exchange(c, d.dst, d.srv, h.Msg("eim"))
		if !ok {
			return "", "", fmt.Errorf("%v to %s: nothing arrived", Local(c), d.name)
		}
		m = append(m, got)
		seen = append(seen, fmt.Sprintf("to %s as %v", d.name, got))
	}
	samePort := m[0] == m[1]
	sameAddr := m[0] == m[2] && m[0] == m[3]
	kind := "APDM"
	switch {
	case samePort && sameAddr:
		kind = "EIM"
	case samePort:
		kind = "ADM"
	}
	return kind, fmt.Sprintf("%v %s", Local(c), strings.Join(seen, ", ")), nil
}

type serverPair struct{ a, b *net.UDPConn }

// serversOnce opens (once per harness) s1:3478, s1:3479, s1':3478 and s2:3478.
func (h *Harness) serversOnce() (serverPair, *net.UDPConn, *net.UDPConn, error) {
	h.mu.Lock()
	if h.srv != nil {
		s := h.srv
		h.mu.Unlock()
		return s.s1, s.s1alt, s.s2, nil
	}
	h.mu.Unlock()
	s1, s1alt, s2, err := h.Servers(3478)
	if err != nil {
		return serverPair{}, nil, nil, err
	}
	s1b, err := h.UDP(h.S1, h.S1Addr, 3479)
	if err != nil {
		return serverPair{}, nil, nil, err
	}
	s := &servers{s1: serverPair{s1, s1b}, s1alt: s1alt, s2: s2}
	h.mu.Lock()
	h.srv = s
	h.mu.Unlock()
	return s.s1, s.s1alt, s.s2, nil
}

type servers struct {
	s1        serverPair
	s1alt, s2 *net.UDPConn
}

func checkUDPMapping(ctx context.Context, h *Harness) Outcome {
	c, err := h.UDP(h.LAN1, netip.Addr{}, 40000)
	if err != nil {
		return failed(err)
	}
	kind, seen, err := h.classifyMapping(c)
	if err != nil {
		return failed(err)
	}
	return comply(kind == "EIM", kind, "%s: %s", seen, kind)
}

func checkPooling(ctx context.Context, h *Harness) Outcome {
	return notApplicable("the gateway has one WAN address (%v); IP address pooling needs several", h.Public)
}

func checkOverloading(ctx context.Context, h *Harness) Outcome {
	s1, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	var obs []string
	ok, preserved := true, false
	for _, port := range []int{40000, 700} {
		c1, m1, err := h.Mapping(h.LAN1, port, s1, dst)
		if err != nil {
			return failed(err)
		}
		c2, m2, err := h.Mapping(h.LAN2, port, s1, dst)
		if err != nil {
			return failed(err)
		}
		back1, back2 := h.Msg("back"), h.Msg("back")
		_, got1 := Deliver(s1, m1, c1, back1, 500*time.Millisecond)
		_, got2 := Deliver(s1, m2, c2, back2, 500*time.Millisecond)
		distinct := m1 != m2 && got1 && got2
		if port == 40000 {
			preserved = m1.Port() == 40000 // the first host, its port free
		}
		ok = ok && distinct
		low := port < 1024
		keptRange := (m2.Port() < 1024) == low
		obs = append(obs, fmt.Sprintf("lan0:%d and lan1:%d to s1:3478 as %v and %v (replies %s/%s; range of a port %s1024 kept: %v)",
			port, port, m1, m2, yes(got1), yes(got2), map[bool]string{true: "<", false: ">="}[low], keptRange))
	}
	label := "no overloading"
	if !ok {
		label = "port overloading"
	}
	label += map[bool]string{true: ", port preserved", false: ", port not preserved"}[preserved]
	return comply(ok, label, "%s", Listing(obs...))
}

func yes(b bool) string {
	if b {
		return "delivered"
	}
	return "lost"
}

func checkParity(ctx context.Context, h *Harness) Outcome {
	s1, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	// Ports in pairs, odd first (41001, 41000, 41003, ...): lan1 finds each
	// taken by lan0, and an allocator that ignores parity gives the odd port
	// the next free one, which is even (a preserving or sequential NAT).
	kept, total, remapped := 0, 0, 0
	for _, lan := range []*topology.Live{h.LAN1, h.LAN2} {
		for i := 41000; i < 41016; i++ {
			p := i ^ 1
			_, m, err := h.Mapping(lan, p, s1, dst)
			if err != nil {
				return failed(err)
			}
			total++
			if m.Port()%2 == uint16(p%2) {
				kept++
			}
			if int(m.Port()) != p {
				remapped++
			}
		}
	}
	label := "parity preserved"
	if kept != total {
		label = "parity not preserved"
	}
	return comply(kept == total, label, "%d of %d mappings kept the parity of the internal port (%d of them remapped because two hosts used the same ports)", kept, total, remapped)
}

// lifetimeProbes are the idle times (simulated) after which mappings are probed from outside.
var lifetimeProbes = []time.Duration{15 * time.Second, 25 * time.Second, 35 * time.Second, 50 * time.Second, 70 * time.Second,
	100 * time.Second, 116 * time.Second, 125 * time.Second, 150 * time.Second, 200 * time.Second, 310 * time.Second}

// checkRefresh sends a datagram every refreshEvery for refreshWindow, then
// probes the mappings (simulated times).
const refreshWindow, refreshEvery = 330 * time.Second, 15 * time.Second

// lifetimeTolerance is how much short of 2 minutes a measured lifetime may be.
const lifetimeTolerance = 4 * time.Second

type probe struct {
	c     *net.UDPConn
	m     netip.AddrPort
	after time.Duration // measured idle time at the probe, simulated
	alive bool
}

func checkUDPLifetime(ctx context.Context, h *Harness) Outcome {
	s1, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	open := func(port int) ([]*probe, error) {
		var ps []*probe
		for i := range lifetimeProbes {
			c, m, err := h.Mapping(h.LAN1, port+i, s1, dst)
			if err != nil {
				return nil, err
			}
			if _, ok := Deliver(s1, m, c, h.Msg("reply"), 500*time.Millisecond); !ok {
				return nil, fmt.Errorf("s1's reply to %v did not come back", m)
			}
			ps = append(ps, &probe{c: c, m: m})
		}
		return ps, nil
	}
	// stream: datagrams both ways every 10 s for 90 s, then idle
	stream, err := open(42000)
	if err != nil {
		return failed(err)
	}
	for t := 0; t < 9; t++ {
		if err := h.Wait(ctx, 10*time.Second); err != nil {
			return failed(err)
		}
		for _, p := range stream {
			msg := h.Msg("stream")
			p.c.WriteToUDPAddrPort([]byte(msg), dst)
			s1.WriteToUDPAddrPort([]byte(msg), p.m)
		}
	}
	single, err := open(42100) // one request, one reply, then idle
	if err != nil {
		return failed(err)
	}
	h.probeAll(ctx, s1, stream, single)
	s, sOK := bracket(stream)
	r, rOK := bracket(single)
	ok := sOK && rOK
	label := lifetimeBracket(lifetimeProbes, probesAlive(single))
	if streamLabel := lifetimeBracket(lifetimeProbes, probesAlive(stream)); streamLabel != label {
		label = "unreplied " + label + ", stream " + streamLabel
	}
	return comply(ok, label, "after one request and its reply: %s; after a 90 s two-way exchange: %s (speed %g, tolerance %v)", r, s, h.Speed, lifetimeTolerance)
}

// probeAll probes each pair of mappings (one of each list) from s1 after the idle times in lifetimeProbes.
func (h *Harness) probeAll(ctx context.Context, s1 *net.UDPConn, lists ...[]*probe) {
	start := time.Now()
	msgs := map[*probe]string{}
	for i, idle := range lifetimeProbes {
		if h.WaitUntil(ctx, start, idle) != nil {
			break
		}
		for _, l := range lists {
			p := l[i]
			p.after = time.Duration(float64(time.Since(start)) * h.Speed)
			msgs[p] = h.Msg("probe")
			s1.WriteToUDPAddrPort([]byte(msgs[p]), p.m)
		}
	}
	for _, l := range lists {
		for _, p := range l {
			if msg, sent := msgs[p]; sent {
				_, p.alive = Recv(p.c, msg, 200*time.Millisecond)
			}
		}
	}
}

// bracket describes when mappings stopped answering and whether they
// lived at least 2 minutes.
func bracket(ps []*probe) (string, bool) {
	var alive, dead time.Duration
	for _, p := range ps {
		if p.after == 0 {
			continue
		}
		if p.alive && dead == 0 {
			alive = p.after
		}
		if !p.alive && dead == 0 {
			dead = p.after
		}
	}
	ok := alive >= 2*time.Minute-lifetimeTolerance
	switch {
	case dead == 0:
		return fmt.Sprintf("alive after %v idle", alive.Round(time.Second)), ok
	case alive == 0:
		return fmt.Sprintf("gone after %v idle", dead.Round(time.Second)), ok
	}
	return fmt.Sprintf("alive after %v idle, gone after %v", alive.Round(time.Second), dead.Round(time.Second)), ok
}

// lifetimeBracket names the probe interval in which mappings probed after
// the idle times probes (nominal, simulated) stopped answering: "lifetime
// 200s-310s", "lifetime under 15s", "lifetime over 310s".
func lifetimeBracket(probes []time.Duration, alive []bool) string {
	last := -1 // the last probe answered before the first silent one
	for i := range probes {
		if !alive[i] {
			break
		}
		last = i
	}
	switch {
	case last < 0:
		return fmt.Sprintf("lifetime under %v", probes[0])
	case last == len(probes)-1:
		return fmt.Sprintf("lifetime over %v", probes[last])
	}
	return fmt.Sprintf("lifetime %v-%v", probes[last], probes[last+1])
}

// lifetimeLabel is the lifetimeBracket a mapping that lives exactly timeout
// after its last packet shows.
func lifetimeLabel(probes []time.Duration, timeout time.Duration) string {
	alive := make([]bool, len(probes))
	for i, p := range probes {
		alive[i] = p < timeout
	}
	return lifetimeBracket(probes, alive)
}

// probesAlive is which probes of ps were answered.
func probesAlive(ps []*probe) []bool {
	alive := make([]bool, len(ps))
	for i, p := range ps {
		alive[i] = p.after != 0 && p.alive
	}
	return alive
}

func checkRefresh(ctx context.Context, h *Harness) Outcome {
	s1, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	return untilConclusive(func(try int) (Outcome, bool) { return refreshOnce(ctx, h, s1, 43000+3*try) })
}

func refreshOnce(ctx context.Context, h *Harness, s1 *net.UDPConn, port int) (Outcome, bool) {
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	var ps [3]*probe // outbound refresh, inbound refresh, none
	for i := range ps {
		c, m, err := h.Mapping(h.LAN1, port+i, s1, dst)
		if err != nil {
			return failed(err), true
		}
		if _, ok := Deliver(s1, m, c, h.Msg("reply"), 500*time.Millisecond); !ok {
			return failed(fmt.Errorf("s1's reply to %v did not come back", m)), true
		}
		ps[i] = &probe{c: c, m: m}
	}
	window, every := refreshWindow, refreshEvery
	start := time.Now()
	late := false                                       // a refresh left a whole period late: the CPU was starved, the result proves nothing
	for t := time.Duration(0); t < window; t += every { // the first refresh right away: unreplied flows may live 1 s real
		if err := h.WaitUntil(ctx, start, t); err != nil {
			return failed(err), true
		}
		late = late || time.Duration(float64(time.Since(start))*h.Speed) >= t+every
		ps[0].c.WriteToUDPAddrPort([]byte(h.Msg("out")), dst)
		s1.WriteToUDPAddrPort([]byte(h.Msg("in")), ps[1].m)
	}
	if err := h.WaitUntil(ctx, start, window); err != nil {
		return failed(err), true
	}
	for _, p := range ps {
		_, p.alive = Deliver(s1, p.m, p.c, h.Msg("probe"), 300*time.Millisecond)
	}
	obs := fmt.Sprintf("after %v with a datagram every %v: refreshed by outbound only %s, by inbound only %s, not refreshed %s",
		window, every, aliveText(ps[0].alive), aliveText(ps[1].alive), aliveText(ps[2].alive))
	if ps[2].alive {
		return notApplicable("%s: the mapping outlives the window without refresh, so refresh cannot be told apart", obs), true
	}
	label := "outbound"
	if !ps[0].alive {
		label = "no outbound"
	}
	if ps[1].alive {
		label += "+inbound"
	}
	return comply(ps[0].alive, label+" refresh", "%s", obs), !late
}

func aliveText(b bool) string {
	if b {
		return "alive"
	}
	return "expired"
}

// classifyFiltering opens mappings to s1:3478 and probes them from s1's
// other port, s1's second address and s2.
func (h *Harness) classifyFiltering(base int) (string, string, error) {
	s1, s1alt, s2, err := h.serversOnce()
	if err != nil {
		return "", "", err
	}
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	try := func(port int, from *net.UDPConn) (bool, netip.AddrPort, error) {
		c, m, err := h.Mapping(h.LAN1, port, s1.a, dst)
		if err != nil {
			return false, m, err
		}
		if _, ok := Deliver(s1.a, m, c, h.Msg("reply"), 500*time.Millisecond); !ok {
			return false, m, fmt.Errorf("s1's reply to %v did not come back", m)
		}
		_, got := Deliver(from, m, c, h.Msg("unsolicited"), 400*time.Millisecond)
		return got, m, nil
	}
	otherPort, _, err := try(base, s1.b)
	if err != nil {
		return "", "", err
	}
	otherAddr, _, err := try(base+1, s1alt)
	if err != nil {
		return "", "", err
	}
	otherHost, _, err := try(base+2, s2)
	if err != nil {
		return "", "", err
	}
	kind := "APDF"
	switch {
	case otherAddr && otherHost && otherPort:
		kind = "EIF"
	case otherPort && !otherAddr && !otherHost:
		kind = "ADF"
	case otherAddr || otherHost:
		kind = "inconsistent"
	}
	return kind, fmt.Sprintf("after an exchange with s1:3478, unsolicited from s1:3479 %s, from s1's 2nd address %s, from s2 %s: %s",
		yes(otherPort), yes(otherAddr), yes(otherHost), kind), nil
}

func checkUDPFiltering(ctx context.Context, h *Harness) Outcome {
	kind, obs, err := h.classifyFiltering(44000)
	if err != nil {
		return failed(err)
	}
	return comply(kind == "EIF" || kind == "ADF", kind, "%s", obs)
}

func checkHairpin(ctx context.Context, h *Harness) Outcome {
	s1, err := h.UDP(h.S1, h.S1Addr, 3478)
	if err != nil {
		return failed(err)
	}
	dst := netip.AddrPortFrom(h.S1Addr, 3478)
	c1, m1, err := h.Mapping(h.LAN1, 45000, s1, dst)
	if err != nil {
		return failed(err)
	}
	c2, m2, err := h.Mapping(h.LAN2, 45001, s1, dst)
	if err != nil {
		return failed(err)
	}
	// Both send to the other's mapping, so that any filter is open for the second round.
	var from1, from2 netip.AddrPort
	var got1, got2 bool
	for round := 0; round < 3 && !(got1 && got2); round++ {
		if !got2 {
			from2, got2 = Deliver(c1, m2, c2, h.Msg("hairpin"), 300*time.Millisecond)
		}
		if !got1 {
			from1, got1 = Deliver(c2, m1, c1, h.Msg("hairpin"), 300*time.Millisecond)
		}
	}
	obs := fmt.Sprintf("lan0 (mapped %v) to lan1's mapping %v: %s", m1, m2, yes(got2))
	if got2 {
		obs += fmt.Sprintf(" from %v", from2)
	}
	obs += fmt.Sprintf("; lan1 to lan0's mapping %v: %s", m1, yes(got1))
	if got1 {
		obs += fmt.Sprintf(" from %v", from1)
	}
	switch {
	case !got1 && !got2:
		return comply(false, "no hairpinning", "%s", obs)
	case (got2 && from2.Addr() != h.Public) || (got1 && from1.Addr() != h.Public):
		return comply(false, "hairpinning with internal source", "%s", obs)
	case (got2 && from2 != m1) || (got1 && from1 != m2):
		obs += " (a dependent mapping: the sender's mapping towards the other's external endpoint)"
	}
	return comply(true, "hairpinning", "%s", obs)
}

func checkALG(ctx context.Context, h *Harness) Outcome {
	s1, err := h.UDP(h.S1, h.S1Addr, 5060)
	if err != nil {
		return failed(err)
	}
	c, err := h.UDP(h.LAN1, netip.Addr{}, 5060)
	if err != nil {
		return failed(err)
	}
	lan := h.Addr(h.LAN1)
	a4 := lan.As4()
	msg := fmt.Sprintf("INVITE sip:box@%v:5060 SIP/2.0\r\nVia: SIP/2.0/UDP %v:5060\r\nContact: <sip:box@%v:5060>\r\nContent-Length: 0\r\n\r\nraw:%s", h.S1Addr, lan, lan, string(a4[:]))
	buf := make([]byte, 4096)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		c.WriteToUDPAddrPort([]byte(msg), netip.AddrPortFrom(h.S1Addr, 5060))
		s1.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, _, err := s1.ReadFromUDPAddrPort(buf)
		if err != nil {
			continue
		}
		if string(buf[:n]) == msg {
			return comply(true, "no ALG", "a SIP INVITE to port 5060 naming the internal address %v (as text and as 4 bytes) arrived unchanged", lan)
		}
		return comply(false, "ALG", "a SIP INVITE naming the internal address %v arrived rewritten (%d bytes, was %d)", lan, n, len(msg))
	}
	return failed(fmt.Errorf("nothing reached s1:5060"))
}

func checkDeterministic(ctx context.Context, h *Harness) Outcome {
	var mapping, filtering []string
	for trial := 0; trial < 3; trial++ {
		c, err := h.UDP(h.LAN1, netip.Addr{}, 46000+trial)
		if err != nil {
			return failed(err)
		}
		kind, _, err := h.classifyMapping(c)
		if err != nil {
			return failed(err)
		}
		mapping = append(mapping, kind)
		f, _, err := h.classifyFiltering(46100 + 10*trial)
		if err != nil {
			return failed(err)
		}
		filtering = append(filtering, f)
	}
	// Contention: lan1 holds the same internal port towards s2 before lan0 classifies.
	_, _, s2, err := h.serversOnce()
	if err != nil {
		return failed(err)
	}
	if _, held, err := h.Mapping(h.LAN2, 46050, s2, netip.AddrPortFrom(h.S2Addr, 3478)); err != nil {
		return failed(err)
	} else {
		c, err := h.UDP(h.LAN1, netip.Addr{}, 46050)
		if err != nil {
			return failed(err)
		}
		kind, seen, err := h.classifyMapping(c)
		if err != nil {
			return failed(err)
		}
		mapping = append(mapping, kind)
		same := true
		for _, k := range mapping {
			same = same && k == mapping[0]
		}
		for _, k := range filtering {
			same = same && k == filtering[0]
		}
		label := "deterministic"
		if !same {
			label = "not deterministic"
		}
		return comply(same, label, "mapping over 3 trials %v, and %s while lan1:46050 holds %v towards s2 (%s); filtering over 3 trials %v",
			mapping[:3], kind, held, seen, filtering)
	}
}
