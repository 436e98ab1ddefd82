package nat

import (
	"errors"
	"net/netip"
	"time"
)

// PortMapper is a Gateway that installs static port mappings for a
// port-mapping protocol (UPnP IGD, NAT-PMP, PCP): inbound traffic to
// External is forwarded to Internal. Static and dynamic mappings share one
// port space as far as the backend allows (see each backend's doc). Every
// static mapping is lost on Reset and WANChanged, as on a real gateway that
// does not persist them.
type PortMapper interface {
	// AddPortMapping installs pm and returns it with External filled in: an
	// invalid or unspecified address means the WAN address, port 0 any free
	// port. Adding it again for the same internal endpoint refreshes Remote
	// and Lifetime. Errors wrap ErrPortConflict, ErrPortExhausted or
	// ErrBadPortMapping.
	AddPortMapping(pm PortMapping) (PortMapping, error)
	// DeletePortMapping removes the static mapping of external port port;
	// ErrNoPortMapping if there is none.
	DeletePortMapping(proto string, port uint16) error
	// PortMappings lists the live static mappings, with Lifetime the time
	// left (0 = permanent), sorted by protocol and external port.
	PortMappings() []PortMapping
	// ExternalAddr is the WAN address mappings are reached on.
	ExternalAddr() netip.Addr
}

// PortMapping is one static port mapping.
type PortMapping struct {
	Proto    string         `json:"proto"` // "tcp" or "udp"
	External netip.AddrPort `json:"external"`
	Internal netip.AddrPort `json:"internal"`
	Remote   netip.Addr     `json:"remote,omitzero"` // only this remote host may use it; invalid = any
	Lifetime time.Duration  `json:"lifetime"`        // 0 = until deleted or reset
}

// Port-mapping errors. A port-mapping server translates them into its
// protocol's codes (UPnP IGD: 718 ConflictInMappingEntry, 728
// NoPortMapsAvailable, 714 NoSuchEntryInArray, 402 Invalid Args).
var (
	ErrPortConflict   = errors.New("external port held by another mapping")
	ErrPortExhausted  = errors.New("no free external port")
	ErrNoPortMapping  = errors.New("no such port mapping")
	ErrBadPortMapping = errors.New("invalid port mapping")
)
