package acs

import (
	"fmt"
	"math"
	"time"

	"github.com/boxlab/boxlab/devices/acs/cwmp"
)

// Params are the keepalive parameters the ACS hands a device with
// SetParameterValues (TR-181 Device.ManagementServer.STUN* and
// ConnectionRequest*, or the same leaves under InternetGatewayDevice.).
type Params struct {
	STUNServer   string        `json:"stun_server"`   // STUNServerAddress
	STUNPort     int           `json:"stun_port"`     // STUNServerPort
	MinPeriod    time.Duration `json:"min_period"`    // STUNMinimumKeepAlivePeriod
	MaxPeriod    time.Duration `json:"max_period"`    // STUNMaximumKeepAlivePeriod
	STUNUsername string        `json:"stun_username"` // STUNUsername
	STUNPassword string        `json:"-"`             // STUNPassword
	CRUsername   string        `json:"cr_username"`   // ConnectionRequestUsername
	CRPassword   string        `json:"-"`             // ConnectionRequestPassword
	Generation   int           `json:"generation"`    // bumped on every credential rotation
}

// Key is the ParameterKey of this generation: a CPE reporting another key
// in its Inform gets the parameters again.
func (p Params) Key() string { return fmt.Sprintf("boxlab-stun-%d", p.Generation) }

// Set is the SetParameterValues that delivers p under a data-model root.
func (p Params) Set(root string) *cwmp.SetParameterValues {
	ms := root + "ManagementServer."
	secs := func(d time.Duration) string { return fmt.Sprint(int64(math.Ceil(d.Seconds()))) }
	return &cwmp.SetParameterValues{ParameterKey: p.Key(), Params: []cwmp.ParameterValue{
		cwmp.Param(ms+"STUNEnable", "boolean", "true"),
		cwmp.Param(ms+"STUNServerAddress", "string", p.STUNServer),
		cwmp.Param(ms+"STUNServerPort", "unsignedInt", fmt.Sprint(p.STUNPort)),
		cwmp.Param(ms+"STUNUsername", "string", p.STUNUsername),
		cwmp.Param(ms+"STUNPassword", "string", p.STUNPassword),
		cwmp.Param(ms+"STUNMinimumKeepAlivePeriod", "unsignedInt", secs(p.MinPeriod)),
		cwmp.Param(ms+"STUNMaximumKeepAlivePeriod", "int", secs(p.MaxPeriod)),
		cwmp.Param(ms+"ConnectionRequestUsername", "string", p.CRUsername),
		cwmp.Param(ms+"ConnectionRequestPassword", "string", p.CRPassword),
	}}
}

// Command is an operator command: the RPC the ACS sends in the device's
// next CWMP session (get → GetParameterValues, set → SetParameterValues,
// reboot → Reboot, download → Download); the job id is its CommandKey.
type Command struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`            // reboot, get, set, download
	Param string `json:"param,omitempty"` // get/set: parameter name; download: URL (default: the ACS's own firmware file)
	Value string `json:"value,omitempty"` // set: the value
}

// Kinds are the command kinds.
var Kinds = []string{"reboot", "get", "set", "download"}

func validKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// QueueRequest is the operator API's body (POST /api/commands): a command
// for the listed devices, or for a selector: "all" or "online".
type QueueRequest struct {
	Kind    string   `json:"kind"`
	Param   string   `json:"param,omitempty"`
	Value   string   `json:"value,omitempty"`
	Devices []string `json:"devices,omitempty"`
	Select  string   `json:"select,omitempty"`
}
