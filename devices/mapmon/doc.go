// Package mapmon is the mapping monitor of seed 003 (issue 6): a server
// role that receives port mapping reports from LAN devices over a control
// channel, checks every reported mapping each check period by reaching the
// device through it from the internet, and on a failure instructs the
// device to map again; it tracks each mapping's validity over time.
//
// The control channel and the probes are plain text on UDP (wire.go): a
// device reports "MAP <node> <ip:port> [udp|tcp]" and gets "OK" or, once per
// failure, "REMAP" back. The probe follows the protocol the device reported
// (its option probe): udp sends "PING <seq>" from a new source port each
// round and wants "PONG <seq>" from the mapped endpoint; tcp connects to the
// mapped endpoint (a new connection, so a new flow through the mapping) and
// wants the handshake to complete. A new source each round matters: one
// long-lived flow would keep passing on the NAT's connection state after
// the mapping itself expired or was deleted.
//
// Events (node = the monitor; device = the reporting node, the subject):
// mapmon.reported (first report of a device), mapmon.valid and
// mapmon.invalid (each judged probe; public says whether the reported
// address is public, see Public), mapmon.probe (valid 1 or 0, the same
// verdict as a state series for per-device assertions), mapmon.failure_detected,
// mapmon.instruction (REMAP sent), mapmon.remapped (recovery: from the
// failure's detection to the first valid probe), mapmon.late_answer (a
// PONG that came after its round's verdict; after: since the probe). Only
// mappings probed in a round are judged in it: one reported or moved after
// the round's probes went out waits for the next round. UDP probes go out
// in paced batches, again at half the timeout to those not answered, and
// the socket is drained before each verdict (answers that arrived in time
// but were not read yet by a starved reader are not failures).
//
// The device side (role upnp-mapper) is in devices/stb. The monitor does
// not authenticate reports (anyone on the internet may report any node)
// and keeps no history beyond the current state: validity over time is in
// the events.
package mapmon
