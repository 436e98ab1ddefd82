package stb

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/boxlab/boxlab/devices/acs/cwmp"
)

// model is the box's data model: the TR-181 (Device.) or TR-098
// (InternetGatewayDevice.) parameters a CWMP session reads and writes. It
// lives in the KeepaliveBox, so what the ACS set survives a reboot, as in
// a real CPE's persistent store.
type model struct {
	root string

	mu     sync.Mutex
	values map[string]string
	types  map[string]string
}

// leaf describes a parameter the box knows.
type leaf struct {
	name, typ string
	writable  bool
	hidden    bool // reads as "" (TR-069: passwords)
}

var leaves = []leaf{
	{"DeviceInfo.Manufacturer", "string", false, false},
	{"DeviceInfo.ManufacturerOUI", "string", false, false},
	{"DeviceInfo.ProductClass", "string", false, false},
	{"DeviceInfo.SerialNumber", "string", false, false},
	{"DeviceInfo.HardwareVersion", "string", false, false},
	{"DeviceInfo.SoftwareVersion", "string", false, false},
	{"DeviceInfo.ProvisioningCode", "string", true, false},
	{"DeviceInfo.UpTime", "unsignedInt", false, false},
	{"ManagementServer.URL", "string", true, false},
	{"ManagementServer.Username", "string", true, false},
	{"ManagementServer.Password", "string", true, true},
	{"ManagementServer.ParameterKey", "string", false, false},
	{"ManagementServer.ConnectionRequestURL", "string", false, false},
	{"ManagementServer.ConnectionRequestUsername", "string", true, false},
	{"ManagementServer.ConnectionRequestPassword", "string", true, true},
	{"ManagementServer.UDPConnectionRequestAddress", "string", false, false},
	{"ManagementServer.STUNEnable", "boolean", true, false},
	{"ManagementServer.STUNServerAddress", "string", true, false},
	{"ManagementServer.STUNServerPort", "unsignedInt", true, false},
	{"ManagementServer.STUNUsername", "string", true, false},
	{"ManagementServer.STUNPassword", "string", true, true},
	{"ManagementServer.STUNMinimumKeepAlivePeriod", "unsignedInt", true, false},
	{"ManagementServer.STUNMaximumKeepAlivePeriod", "int", true, false},
	{"ManagementServer.NATDetected", "boolean", false, false},
}

// informParams are the parameters every Inform carries (forced and
// Annex G ones).
var informParams = []string{"DeviceInfo.HardwareVersion", "DeviceInfo.SoftwareVersion", "DeviceInfo.ProvisioningCode",
	"ManagementServer.ParameterKey", "ManagementServer.ConnectionRequestURL", "ManagementServer.UDPConnectionRequestAddress",
	"ManagementServer.NATDetected", "ManagementServer.STUNEnable"}

func newModel(root string, init map[string]string) *model {
	m := &model{root: root, values: map[string]string{}, types: map[string]string{}}
	for _, l := range leaves {
		m.types[root+l.name] = l.typ
		m.values[root+l.name] = ""
	}
	for k, v := range init {
		m.values[root+k] = v
	}
	return m
}

func (m *model) find(rel string) (leaf, bool) {
	for _, l := range leaves {
		if l.name == rel {
			return l, true
		}
	}
	return leaf{}, false
}

// get reads a parameter by its name below the root.
func (m *model) get(rel string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.values[m.root+rel]
}

// set writes a parameter by its name below the root (the box's own writes).
func (m *model) set(rel, v string) {
	m.mu.Lock()
	m.values[m.root+rel] = v
	m.mu.Unlock()
}

func (m *model) param(name string) cwmp.ParameterValue {
	v := m.values[name]
	if l, ok := m.find(strings.TrimPrefix(name, m.root)); ok && l.hidden {
		v = ""
	}
	typ := m.types[name]
	if typ == "" {
		typ = "string"
	}
	return cwmp.Param(name, typ, v)
}

// inform returns the Inform parameter list.
func (m *model) inform() []cwmp.ParameterValue {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]cwmp.ParameterValue, 0, len(informParams))
	for _, rel := range informParams {
		out = append(out, m.param(m.root+rel))
	}
	return out
}

// getValues answers GetParameterValues: full names or partial paths
// ending in "."; an unknown name is fault 9005.
func (m *model) getValues(names []string) ([]cwmp.ParameterValue, *cwmp.Fault) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []cwmp.ParameterValue
	for _, n := range names {
		if n == "" {
			n = m.root
		}
		if strings.HasSuffix(n, ".") {
			var keys []string
			for k := range m.values {
				if strings.HasPrefix(k, n) {
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				return nil, cwmp.NewFault(cwmp.FaultInvalidName)
			}
			sort.Strings(keys)
			for _, k := range keys {
				out = append(out, m.param(k))
			}
			continue
		}
		if _, ok := m.values[n]; !ok {
			return nil, cwmp.NewFault(cwmp.FaultInvalidName)
		}
		out = append(out, m.param(n))
	}
	return out, nil
}

// setValues applies SetParameterValues all or nothing: unknown names are
// 9005 (except vendor X_ parameters, created on write), read-only ones 9008,
// values that do not parse as their type 9007; the faults come together in
// one 9003 with SetParameterValuesFault entries.
func (m *model) setValues(ps []cwmp.ParameterValue, key string) *cwmp.Fault {
	m.mu.Lock()
	defer m.mu.Unlock()
	var fails []cwmp.ParamFault
	fail := func(name string, code int) {
		fails = append(fails, cwmp.ParamFault{ParameterName: name, FaultCode: code, FaultString: cwmp.FaultString(code)})
	}
	for _, p := range ps {
		rel, under := strings.CutPrefix(p.Name, m.root)
		l, known := m.find(rel)
		switch {
		case !under:
			fail(p.Name, cwmp.FaultInvalidName)
		case !known && !strings.Contains(rel, "X_"):
			fail(p.Name, cwmp.FaultInvalidName)
		case known && !l.writable:
			fail(p.Name, cwmp.FaultNotWritable)
		case known && !validValue(l.typ, p.Value.Text):
			fail(p.Name, cwmp.FaultInvalidValue)
		}
	}
	if len(fails) > 0 {
		return cwmp.NewFault(cwmp.FaultInvalidArguments, fails...)
	}
	for _, p := range ps {
		if _, ok := m.types[p.Name]; !ok {
			m.types[p.Name] = "string"
		}
		m.values[p.Name] = p.Value.Text
	}
	m.values[m.root+"ManagementServer.ParameterKey"] = key
	return nil
}

func validValue(typ, v string) bool {
	switch typ {
	case "boolean":
		return v == "true" || v == "false" || v == "1" || v == "0"
	case "unsignedInt":
		_, err := strconv.ParseUint(v, 10, 32)
		return err == nil
	case "int":
		_, err := strconv.ParseInt(v, 10, 32)
		return err == nil
	}
	return len(v) <= 256
}

func isTrue(v string) bool { return v == "true" || v == "1" }
