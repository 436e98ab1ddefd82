package stb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/igd"
	"github.com/boxlab/boxlab/nat/pcp"
)

// mapSession is the protocol unit of the device side: it maps one port with
// UPnP (igd.Client), NAT-PMP or PCP (igd.PMPClient), or with auto the first
// of them the gateway speaks, and remembers which worked. Events:
// igd.client.mapped, map_failed, no_upnp, no_pcp, no_natpmp,
// no_mapping_protocol, epoch_reset, announcement, unmapped, unmap_failed.
type mapSession struct {
	env      *devices.Env
	protocol string // upnp, natpmp, pcp or auto
	proto    string // udp or tcp: what is mapped
	port     uint16 // external port asked for

	mu    sync.Mutex // one exchange with the gateway at a time (Run and Finish)
	upnp  *igd.Client
	pmp   *igd.PMPClient
	using string // the protocol that last worked; "" = choose again
	heard chan heard
}

// heard is an announcement and who sent it.
type heard struct {
	igd.Announcement
	from netip.Addr
}

// newMapSession makes the session; with NAT-PMP or PCP possible it listens
// for the gateway's announcements until ctx ends.
func newMapSession(ctx context.Context, env *devices.Env, protocol, proto string, port uint16) (*mapSession, error) {
	ms := &mapSession{env: env, protocol: protocol, proto: proto, port: port, upnp: igd.NewClient(env.NS)}
	if protocol != "upnp" {
		ms.pmp = &igd.PMPClient{NS: env.NS, Client: env.Addr, Timeout: 2 * time.Second, Now: env.Clock.Now}
		for i := range ms.pmp.Nonce {
			ms.pmp.Nonce[i] = byte(env.Rand.Uint32())
		}
		ms.heard = make(chan heard, 1)
		if err := ms.listenAnnouncements(ctx); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// announced handles an announcement from the listener: one from our
// gateway in the protocol we map with asks for a renewal.
func (ms *mapSession) announced(h heard) bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	gw := ms.pmp.Server
	if ms.using == "" || h.PCP != (ms.using == "pcp") || ms.using == "upnp" || (gw.IsValid() && h.from != gw) {
		return false
	}
	if ms.pmp.Heard(h.Announcement) {
		ms.env.Log.Info("igd.client.epoch_reset", "protocol", ms.using, "via", "announcement")
	}
	ms.env.Log.Info("igd.client.announcement", "protocol", ms.using, "epoch", float64(h.Epoch))
	return true
}

// forget makes the next mapping discover the gateway again.
func (ms *mapSession) forget() {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.using = ""
	ms.upnp.Control = ""
	if ms.pmp != nil {
		ms.pmp.Server = netip.Addr{}
	}
}

// order is the protocols to try: the one in use, else the configured one,
// or for auto UPnP, then PCP, then NAT-PMP.
func (ms *mapSession) order() []string {
	if ms.using != "" {
		return []string{ms.using}
	}
	if ms.protocol == "auto" {
		return []string{"upnp", "pcp", "natpmp"}
	}
	return []string{ms.protocol}
}

// mapOnce maps internal and returns the external endpoint and the lifetime
// granted (0 = permanent), or an invalid endpoint on failure.
func (ms *mapSession) mapOnce(ctx context.Context, internal netip.AddrPort, lease time.Duration) (netip.AddrPort, time.Duration) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	env := ms.env
	start := time.Now()
	order := ms.order()
	for _, protocol := range order {
		ext, life, err := ms.mapWith(ctx, protocol, internal, lease)
		var f *igd.Fault
		var re *igd.ResultError
		switch {
		case err == nil:
			ms.using = protocol
			moved := 0.0 // 1: the gateway granted another port than the one asked for (718 walked, or PCP/NAT-PMP chose)
			if ext.Port() != internal.Port() {
				moved = 1
			}
			env.Log.Info("igd.client.mapped", "external", ext.String(), "protocol", protocol, "proto", ms.proto, "lifetime", life, "took", time.Since(start),
				"requested", float64(internal.Port()), "external_port", float64(ext.Port()), "moved", moved)
			return ext, life
		case errors.As(err, &f):
			env.Log.Info("igd.client.map_failed", "protocol", protocol, "code", float64(f.Code))
			return netip.AddrPort{}, 0
		case errors.As(err, &re):
			env.Log.Info("igd.client.map_failed", "protocol", protocol, "code", float64(re.Code))
			return netip.AddrPort{}, 0
		case errors.Is(err, errAbsent):
			continue // logged by mapWith; try the next protocol
		default:
			env.Log.Info("igd.client.map_failed", "protocol", protocol, "err", err.Error())
			ms.using = ""
			ms.upnp.Control = ""
			if ms.pmp != nil {
				ms.pmp.Server = netip.Addr{}
			}
			return netip.AddrPort{}, 0
		}
	}
	ms.using = ""
	if len(order) > 1 || ms.protocol != "upnp" {
		env.Log.Info("igd.client.no_mapping_protocol", "tried", strings.Join(order, ","))
	}
	return netip.AddrPort{}, 0
}

// errAbsent: the gateway does not speak the protocol (or nothing answered).
var errAbsent = errors.New("protocol absent")

func (ms *mapSession) mapWith(ctx context.Context, protocol string, internal netip.AddrPort, lease time.Duration) (netip.AddrPort, time.Duration, error) {
	env := ms.env
	if protocol == "upnp" {
		if ms.upnp.Control == "" {
			if err := ms.upnp.Discover(ctx, 2*time.Second); err != nil {
				env.Log.Info("igd.client.no_upnp", "err", err.Error())
				return netip.AddrPort{}, 0, errAbsent
			}
		}
		ext, err := ms.upnp.Map(ctx, ms.proto, internal, ms.port, lease)
		return ext, lease, err
	}
	c := ms.pmp
	c.PCP = protocol == "pcp"
	if !c.Server.IsValid() {
		gw, err := igd.DefaultGateway(env.NS)
		if err != nil {
			return netip.AddrPort{}, 0, err
		}
		c.Server = gw
	}
	ext, life, lost, err := c.Map(ctx, ms.proto, internal, ms.port, lease)
	if lost {
		env.Log.Info("igd.client.epoch_reset", "protocol", protocol)
	}
	if errors.Is(err, igd.ErrNoServer) {
		env.Log.Info("igd.client.no_"+protocol, "err", err.Error())
		return ext, life, errAbsent
	}
	return ext, life, err
}

// unmap deletes the mapping ext of internal with the protocol that made it:
// UPnP DeletePortMapping, or a NAT-PMP/PCP request with lifetime 0; it
// logs to log (Finish's, dated at the end of the run).
func (ms *mapSession) unmap(ctx context.Context, log *slog.Logger, internal, ext netip.AddrPort) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var err error
	switch ms.using {
	case "":
		return
	case "upnp":
		err = ms.upnp.Delete(ctx, ms.proto, ext.Port())
	case "natpmp":
		_, _, _, err = ms.pmp.Map(ctx, ms.proto, internal, 0, 0) // RFC 6886 §3.4: suggested port 0, lifetime 0
	default:
		_, _, _, err = ms.pmp.Map(ctx, ms.proto, internal, ext.Port(), 0) // RFC 6887 §15: lifetime 0, same nonce
	}
	if err != nil {
		log.Info("igd.client.unmap_failed", "protocol", ms.using, "external", ext.String(), "err", err.Error())
		return
	}
	log.Info("igd.client.unmapped", "protocol", ms.using, "external", ext.String())
}

// listenAnnouncements hears the gateway's NAT-PMP address announcements
// and PCP ANNOUNCEs on port 5350 (224.0.0.1, which every host joins) and
// passes them to the mapping loop (announced).
func (ms *mapSession) listenAnnouncements(ctx context.Context) error {
	c, err := ms.env.NS.ListenUDP("udp4", &net.UDPAddr{Port: pcp.ClientPort})
	if err != nil {
		return fmt.Errorf("announcements: %w", err)
	}
	go func() { <-ctx.Done(); c.Close() }()
	go func() {
		buf := make([]byte, pcp.MaxMessage)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if a, ok := igd.ParseAnnouncement(buf[:n]); ok {
				select {
				case ms.heard <- heard{a, from.Addr().Unmap()}:
				default: // one pending is enough
				}
			}
		}
	}()
	return nil
}
