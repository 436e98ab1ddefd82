package cwmp

import "strings"

// Namespaces of the envelope.
const (
	NSEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	NSEncoding = "http://schemas.xmlsoap.org/soap/encoding/"
	NSXSD      = "http://www.w3.org/2001/XMLSchema"
	NSXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	// NS10 is the cwmp-1-0 namespace, which every ACS and CPE understands;
	// Encode uses it unless the Envelope names another.
	NS10 = "urn:dslforum-org:cwmp-1-0"
)

// Namespaces lists the cwmp namespaces Parse accepts (TR-069 Amendment 6
// defines cwmp-1-0 through cwmp-1-4).
var Namespaces = []string{NS10, "urn:dslforum-org:cwmp-1-1", "urn:dslforum-org:cwmp-1-2",
	"urn:dslforum-org:cwmp-1-3", "urn:dslforum-org:cwmp-1-4"}

// IsNamespace reports whether ns is one of the cwmp namespaces.
func IsNamespace(ns string) bool {
	for _, n := range Namespaces {
		if n == ns {
			return true
		}
	}
	return false
}

// Roots of the two data models: TR-181 and TR-098.
const (
	RootTR181 = "Device."
	RootTR098 = "InternetGatewayDevice."
)

// Root returns the data-model root a parameter name belongs to, or "".
func Root(name string) string {
	switch {
	case strings.HasPrefix(name, RootTR181):
		return RootTR181
	case strings.HasPrefix(name, RootTR098):
		return RootTR098
	}
	return ""
}

// Inform event codes (TR-069 §3.7.1.5) the seed-000 devices use.
const (
	EventBootstrap         = "0 BOOTSTRAP"
	EventBoot              = "1 BOOT"
	EventPeriodic          = "2 PERIODIC"
	EventValueChange       = "4 VALUE CHANGE"
	EventConnectionRequest = "6 CONNECTION REQUEST"
	EventTransferComplete  = "7 TRANSFER COMPLETE"
	EventMReboot           = "M Reboot"
	EventMDownload         = "M Download"
)

// Envelope is one SOAP envelope: the cwmp header fields and one body message.
type Envelope struct {
	NS             string // the cwmp namespace; "" encodes as NS10
	ID             string // cwmp:ID header: a request's id, echoed by its response
	HoldRequests   bool   // cwmp:HoldRequests (ACS → CPE)
	NoMoreRequests bool   // cwmp:NoMoreRequests (deprecated, still sent by old CPEs)
	Body           Message
}

// Message is a body element: an RPC, its response or a fault.
type Message interface {
	// Method is the element's local name, e.g. "Inform".
	Method() string
}

// DeviceID is the DeviceIdStruct of an Inform.
type DeviceID struct {
	Manufacturer string `xml:"Manufacturer"`
	OUI          string `xml:"OUI"`
	ProductClass string `xml:"ProductClass"`
	SerialNumber string `xml:"SerialNumber"`
}

// Event is one EventStruct.
type Event struct {
	Code       string `xml:"EventCode"`
	CommandKey string `xml:"CommandKey"`
}

// Value is a parameter value and its xsi:type without prefix ("string",
// "unsignedInt", "boolean", …; "" when the sender gave none).
type Value struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// ParameterValue is one ParameterValueStruct.
type ParameterValue struct {
	Name  string `xml:"Name"`
	Value Value  `xml:"Value"`
}

// Param builds a ParameterValue of xsi:type typ.
func Param(name, typ, value string) ParameterValue {
	return ParameterValue{Name: name, Value: Value{Type: typ, Text: value}}
}

// FaultStruct is a cwmp FaultStruct (also used inside TransferComplete,
// where code 0 means success).
type FaultStruct struct {
	FaultCode   int    `xml:"FaultCode"`
	FaultString string `xml:"FaultString"`
}

// Inform opens every session (CPE → ACS).
type Inform struct {
	DeviceID     DeviceID         `xml:"DeviceId"`
	Events       []Event          `xml:"Event>EventStruct"`
	MaxEnvelopes int              `xml:"MaxEnvelopes"`
	CurrentTime  string           `xml:"CurrentTime"`
	RetryCount   int              `xml:"RetryCount"`
	Params       []ParameterValue `xml:"ParameterList>ParameterValueStruct"`
}

// HasEvent reports whether the Inform carries event code c and returns its CommandKey.
func (m *Inform) HasEvent(c string) (string, bool) {
	for _, e := range m.Events {
		if e.Code == c {
			return e.CommandKey, true
		}
	}
	return "", false
}

// Param returns the value of parameter name.
func (m *Inform) Param(name string) (string, bool) {
	for _, p := range m.Params {
		if p.Name == name {
			return p.Value.Text, true
		}
	}
	return "", false
}

// InformResponse answers an Inform (ACS → CPE).
type InformResponse struct {
	MaxEnvelopes int `xml:"MaxEnvelopes"`
}

// GetRPCMethods asks the peer which RPCs it supports (either direction).
type GetRPCMethods struct{}

// GetRPCMethodsResponse lists them.
type GetRPCMethodsResponse struct {
	Methods []string `xml:"MethodList>string"`
}

// GetParameterValues reads parameters; a name ending in "." is a partial path.
type GetParameterValues struct {
	Names []string `xml:"ParameterNames>string"`
}

// GetParameterValuesResponse carries the values.
type GetParameterValuesResponse struct {
	Params []ParameterValue `xml:"ParameterList>ParameterValueStruct"`
}

// SetParameterValues writes parameters; ParameterKey is stored by the CPE
// in ManagementServer.ParameterKey once every value is applied.
type SetParameterValues struct {
	Params       []ParameterValue `xml:"ParameterList>ParameterValueStruct"`
	ParameterKey string           `xml:"ParameterKey"`
}

// SetParameterValuesResponse: Status 0 = applied, 1 = applied, takes effect later.
type SetParameterValuesResponse struct {
	Status int `xml:"Status"`
}

// Reboot asks the CPE to reboot; it reports "M Reboot" with CommandKey
// in the Inform after the reboot.
type Reboot struct {
	CommandKey string `xml:"CommandKey"`
}

// RebootResponse acknowledges a Reboot before the CPE reboots.
type RebootResponse struct{}

// Download asks the CPE to fetch a file (FileType "1 Firmware Upgrade Image", …).
type Download struct {
	CommandKey     string `xml:"CommandKey"`
	FileType       string `xml:"FileType"`
	URL            string `xml:"URL"`
	Username       string `xml:"Username"`
	Password       string `xml:"Password"`
	FileSize       int64  `xml:"FileSize"`
	TargetFileName string `xml:"TargetFileName"`
	DelaySeconds   int    `xml:"DelaySeconds"`
	SuccessURL     string `xml:"SuccessURL"`
	FailureURL     string `xml:"FailureURL"`
}

// DownloadResponse: Status 0 = done, 1 = will report by TransferComplete.
type DownloadResponse struct {
	Status       int    `xml:"Status"`
	StartTime    string `xml:"StartTime"`
	CompleteTime string `xml:"CompleteTime"`
}

// TransferComplete reports the end of a Download (CPE → ACS, after a
// "7 TRANSFER COMPLETE" Inform).
type TransferComplete struct {
	CommandKey   string      `xml:"CommandKey"`
	Fault        FaultStruct `xml:"FaultStruct"`
	StartTime    string      `xml:"StartTime"`
	CompleteTime string      `xml:"CompleteTime"`
}

// TransferCompleteResponse acknowledges it.
type TransferCompleteResponse struct{}

// ParamFault is one SetParameterValuesFault entry of a Fault.
type ParamFault struct {
	ParameterName string `xml:"ParameterName"`
	FaultCode     int    `xml:"FaultCode"`
	FaultString   string `xml:"FaultString"`
}

// Fault is a SOAP Fault carrying a cwmp:Fault detail.
type Fault struct {
	SOAPCode  string // faultcode without prefix: Client or Server
	Code      int    // CWMP FaultCode, 9000–9019 (or 8000-series from an ACS)
	String    string // CWMP FaultString
	ParamFail []ParamFault
}

// Unsupported is a well-formed RPC this package does not model; a server
// answers it with fault 9000.
type Unsupported struct {
	Name string
}

// Method implementations.
func (*Inform) Method() string                     { return "Inform" }
func (*InformResponse) Method() string             { return "InformResponse" }
func (*GetRPCMethods) Method() string              { return "GetRPCMethods" }
func (*GetRPCMethodsResponse) Method() string      { return "GetRPCMethodsResponse" }
func (*GetParameterValues) Method() string         { return "GetParameterValues" }
func (*GetParameterValuesResponse) Method() string { return "GetParameterValuesResponse" }
func (*SetParameterValues) Method() string         { return "SetParameterValues" }
func (*SetParameterValuesResponse) Method() string { return "SetParameterValuesResponse" }
func (*Reboot) Method() string                     { return "Reboot" }
func (*RebootResponse) Method() string             { return "RebootResponse" }
func (*Download) Method() string                   { return "Download" }
func (*DownloadResponse) Method() string           { return "DownloadResponse" }
func (*TransferComplete) Method() string           { return "TransferComplete" }
func (*TransferCompleteResponse) Method() string   { return "TransferCompleteResponse" }
func (*Fault) Method() string                      { return "Fault" }
func (m *Unsupported) Method() string              { return m.Name }

// newMessage returns an empty message for a body element's local name.
func newMessage(local string) Message {
	switch local {
	case "Inform":
		return &Inform{}
	case "InformResponse":
		return &InformResponse{}
	case "GetRPCMethods":
		return &GetRPCMethods{}
	case "GetRPCMethodsResponse":
		return &GetRPCMethodsResponse{}
	case "GetParameterValues":
		return &GetParameterValues{}
	case "GetParameterValuesResponse":
		return &GetParameterValuesResponse{}
	case "SetParameterValues":
		return &SetParameterValues{}
	case "SetParameterValuesResponse":
		return &SetParameterValuesResponse{}
	case "Reboot":
		return &Reboot{}
	case "RebootResponse":
		return &RebootResponse{}
	case "Download":
		return &Download{}
	case "DownloadResponse":
		return &DownloadResponse{}
	case "TransferComplete":
		return &TransferComplete{}
	case "TransferCompleteResponse":
		return &TransferCompleteResponse{}
	}
	return nil
}
