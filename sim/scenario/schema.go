package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Patterns the JSON Schema uses for scalars the loader parses itself.
const (
	durationPattern = `^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$`
	octet           = `(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])`
	prefixPattern   = `^` + octet + `(\.` + octet + `){3}/([0-9]|[12][0-9]|3[0-2])$`
	namePattern     = `^[a-z][a-z0-9-]*$`
	namePart        = `[a-z][a-z0-9-]*`
	selectorPattern = `^(server\[` + namePart + `\]|isp\[` + namePart + `\]|` + namePart +
		`(:([0-9]+(\.[0-9]+)?%|[0-9]+)|\[[0-9]+(-[0-9]+)?\])?(\.` + namePart + `)?)$`
)

// fieldSchema adds constraints and descriptions to one model field, keyed
// "Type.yamlkey".
var fieldSchema = map[string]map[string]any{
	"Scenario.name":        {"pattern": `^[a-z0-9][a-z0-9-]*$`, "description": "Scenario name: lower-case letters, digits and dashes."},
	"Scenario.description": {"description": "Free text."},
	"Scenario.speed":       {"exclusiveMinimum": 0, "default": 1, "description": "Time dilation: simulated seconds per real second."},
	"Scenario.duration":    {"description": "Simulated run length, > 0."},
	"Scenario.seed":        {"default": 1, "description": "Seeds selector sampling and device jitter."},
	"Scenario.timeline":    {"description": "Faults and actions, in any order."},
	"Scenario.assertions":  {"description": "Checks over metrics after the run: an expression, or {name, expect}."},
	"Pools.public":         {"default": DefaultPublic.String(), "description": "Home and ISP WAN addresses."},
	"Pools.servers":        {"default": DefaultServers.String(), "description": "Server addresses."},
	"Pools.cgnat":          {"default": DefaultCGNAT.String(), "description": "ISP-side addresses of homes behind a CGNAT."},
	"Pools.lan":            {"default": DefaultLAN.String(), "description": "Home LAN prefix, the same in every home."},
	"Server.name":          {"pattern": namePattern, "description": "Unique among servers."},
	"Server.role":          {"description": "A registered device role."},
	"Server.options":       {"description": "Role options; checked by the role."},
	"Server.addresses":     {"minimum": 1, "maximum": 16, "default": 1, "description": "Public addresses on the server (an RFC 5780 STUN server needs 2)."},
	"ISP.name":             {"pattern": namePattern, "description": "Unique among ISPs."},
	"ISP.nat":              {"default": "linux", "description": "NAT profile of the carrier-grade NAT."},
	"HomeGroup.name":       {"pattern": namePattern, "default": "home", "description": "Unique group name; not homes, server or isp."},
	"HomeGroup.count":      {"minimum": 1, "default": 1, "description": "Number of identical homes."},
	"HomeGroup.nat":        {"default": "linux", "description": "NAT profile of each gateway."},
	"HomeGroup.isp":        {"pattern": namePattern, "description": "ISP the homes sit behind (double NAT)."},
	"HomeGroup.lan":        {"description": "Override of pools.lan."},
	"Device.name":          {"pattern": namePattern, "description": "Unique within the group; default the role."},
	"Device.role":          {"description": "A registered device role."},
	"Device.count":         {"minimum": 1, "default": 1, "description": "Devices of this role in every home."},
	"Device.options":       {"description": "Role options; checked by the role."},
	"Event.name":           {"pattern": namePattern, "description": "Assertions may say during NAME."},
	"Event.at":             {"description": "Simulated time from the start; < duration."},
	"Event.do":             {"enum": FaultKinds, "description": "Fault kind."},
	"Event.on":             {"description": "Selector of the nodes the fault acts on."},
	"Event.for":            {"description": "Revert after this long (link-down, gateway-reboot, device-crash)."},
	"Event.link":           {"enum": []string{LinkWAN, LinkLAN}, "description": "Link faults only; default wan."},

	"HomeGroup.gateway_role":    {"description": "A device role run in each gateway's namespace with its NAT as port mapper (igd)."},
	"HomeGroup.gateway_options": {"description": "Options of the gateway role; checked by the role."},
}

// required lists the keys each mapping must have.
var required = map[reflect.Type][]string{
	reflect.TypeFor[Scenario](): {"name", "duration", "topology"},
	reflect.TypeFor[Server]():   {"name", "role"},
	reflect.TypeFor[ISP]():      {"name"},
	reflect.TypeFor[Device]():   {"role"},
	reflect.TypeFor[Event]():    {"at", "do", "on"},
}

// JSONSchema returns a JSON Schema (draft 2020-12) of the scenario file
// format, generated from the model's yaml tags. Editors use it for
// completion; the loader remains the authority (references between parts,
// roles, NAT profiles and role options are checked only by Load).
func JSONSchema() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	root := g.object(reflect.TypeFor[Scenario]())
	if g.err != nil {
		return nil, g.err
	}
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = "boxlab scenario"
	root["description"] = "A topology of network namespaces, a timeline of faults and assertions checked after the run."
	root["$defs"] = g.defs
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type schemaGen struct {
	defs map[string]any
	err  error
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case reflect.TypeFor[Duration]():
		return map[string]any{"type": "string", "pattern": durationPattern}
	case reflect.TypeFor[Prefix]():
		return map[string]any{"type": "string", "pattern": prefixPattern}
	case typeSelector:
		return map[string]any{"type": "string", "pattern": selectorPattern}
	case reflect.TypeFor[Options]():
		return map[string]any{"type": "object"}
	case reflect.TypeFor[Assertion]():
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "string", "minLength": 1},
			map[string]any{
				"type":                 "object",
				"properties":           map[string]any{"name": map[string]any{"type": "string", "minLength": 1}, "expect": map[string]any{"type": "string", "minLength": 1}},
				"required":             []string{"expect"},
				"additionalProperties": false,
			},
		}}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Struct:
		if _, ok := g.defs[t.Name()]; !ok {
			g.defs[t.Name()] = nil // break cycles
			g.defs[t.Name()] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + t.Name()}
	}
	g.err = fmt.Errorf("scenario: no JSON Schema for %s; teach JSONSchema the new model type", t)
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	for key, i := range yamlFields(t) {
		s := g.schema(t.Field(i).Type)
		for k, v := range fieldSchema[t.Name()+"."+key] {
			s[k] = v
		}
		props[key] = s
	}
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if req := required[t]; req != nil {
		obj["required"] = req
	}
	if n, ok := nouns[t]; ok {
		obj["description"] = strings.ToUpper(n[:1]) + n[1:] + "."
	}
	return obj
}
