package acs

// The HTTP/JSON messages between an STB and the ACS. Durations are simulated
// seconds. They stand in for the CWMP SOAP session (Inform, GetRPC,
// TransferComplete) — see doc.go.

// BootRequest is what an STB reports when it boots (POST /cwmp/boot).
type BootRequest struct {
	ID     string `json:"id"`      // device id (serial)
	Local  string `json:"local"`   // its own address:port of the UDP connection-request listener
	CRPort int    `json:"cr_port"` // that port again, for ACSes that only read this
}

// Params are the keepalive parameters the ACS hands a device (TR-181
// Device.ManagementServer.STUN* and ConnectionRequest*).
type Params struct {
	STUNServer   string  `json:"stun_server"`   // STUNServerAddress
	STUNPort     int     `json:"stun_port"`     // STUNServerPort
	NATID        string  `json:"nat_id"`        // the NAT identifier of seed 000 (the observed public address)
	MinPeriod    float64 `json:"min_period"`    // STUNMinimumKeepAlivePeriod, seconds
	MaxPeriod    float64 `json:"max_period"`    // STUNMaximumKeepAlivePeriod, seconds
	STUNUsername string  `json:"stun_username"` // STUNUsername
	STUNPassword string  `json:"stun_password"` // STUNPassword
	CRUsername   string  `json:"cr_username"`   // ConnectionRequestUsername
	CRPassword   string  `json:"cr_password"`   // ConnectionRequestPassword
	NATDetected  bool    `json:"nat_detected"`  // reported address differs from the observed source
	Observed     string  `json:"observed_addr"` // the source address the ACS saw
	Generation   int     `json:"generation"`    // bumped on every credential rotation
}

// SessionRequest opens a session after a connection request (POST /cwmp/session).
type SessionRequest struct {
	ID string `json:"id"`
}

// SessionReply carries the next command, if any, and the current parameters.
type SessionReply struct {
	Command *Command `json:"command,omitempty"`
	Params  Params   `json:"params"`
}

// Command is an operator command as the STB sees it.
type Command struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // reboot, get, set
	Param string `json:"param,omitempty"`
	Value string `json:"value,omitempty"`
}

// Result is what the STB reports after running a command (POST /cwmp/result).
type Result struct {
	ID      string `json:"id"`
	Command string `json:"command"`
	OK      bool   `json:"ok"`
	Value   string `json:"value,omitempty"`
	Error   string `json:"error,omitempty"`
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
