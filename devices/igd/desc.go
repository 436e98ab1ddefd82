package igd

import (
	"bytes"
	"fmt"
	"strings"
)

// URN prefixes.
const (
	urnDevice  = "urn:schemas-upnp-org:device:"
	urnService = "urn:schemas-upnp-org:service:"
)

// Paths the IGD serves over HTTP.
const (
	pathRoot     = "/rootDesc.xml"
	pathIPConn   = "/WANIPCn.xml"
	pathCommon   = "/WANCfg.xml"
	ctlIPConn    = "/ctl/IPConn"
	ctlCommon    = "/ctl/CmnIfCfg"
	evtIPConn    = "/evt/IPConn"
	evtCommon    = "/evt/CmnIfCfg"
	serverHeader = "Linux/6 UPnP/1.1 boxlab-igd/1.0"
)

func (s *Server) igdType() string {
	return fmt.Sprintf("%sInternetGatewayDevice:%d", urnDevice, s.version)
}
func (s *Server) wanDevType() string { return fmt.Sprintf("%sWANDevice:%d", urnDevice, s.version) }
func (s *Server) wanConnType() string {
	return fmt.Sprintf("%sWANConnectionDevice:%d", urnDevice, s.version)
}
func (s *Server) ipConnType() string {
	return fmt.Sprintf("%sWANIPConnection:%d", urnService, s.version)
}

const commonType = urnService + "WANCommonInterfaceConfig:1"

// rootDesc is the device description (UPnP Device Architecture 1.1 §2.3).
func (s *Server) rootDesc() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0" configId="1">
<specVersion><major>1</major><minor>1</minor></specVersion>
<device>
<deviceType>%s</deviceType>
<friendlyName>boxlab IGD</friendlyName>
<manufacturer>boxlab</manufacturer>
<modelName>boxlab IGD</modelName>
<modelNumber>%d</modelNumber>
<UDN>uuid:%s</UDN>
<deviceList>
<device>
<deviceType>%s</deviceType>
<friendlyName>WANDevice</friendlyName>
<manufacturer>boxlab</manufacturer>
<modelName>WANDevice</modelName>
<UDN>uuid:%s</UDN>
<serviceList>
<service><serviceType>%s</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId>
<SCPDURL>%s</SCPDURL><controlURL>%s</controlURL><eventSubURL>%s</eventSubURL></service>
</serviceList>
<deviceList>
<device>
<deviceType>%s</deviceType>
<friendlyName>WANConnectionDevice</friendlyName>
<manufacturer>boxlab</manufacturer>
<modelName>WANConnectionDevice</modelName>
<UDN>uuid:%s</UDN>
<serviceList>
<service><serviceType>%s</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<SCPDURL>%s</SCPDURL><controlURL>%s</controlURL><eventSubURL>%s</eventSubURL></service>
</serviceList>
</device>
</deviceList>
</device>
</deviceList>
<presentationURL>http://%s/</presentationURL>
</device>
</root>
`, s.igdType(), s.version, s.uuid(0), s.wanDevType(), s.uuid(1), commonType, pathCommon, ctlCommon, evtCommon,
		s.wanConnType(), s.uuid(2), s.ipConnType(), pathIPConn, ctlIPConn, evtIPConn, s.httpAddr)
	return b.Bytes()
}

// action is an SCPD action: in and out arguments with their state variables.
type action struct {
	name    string
	v2      bool        // only in WANIPConnection:2
	in, out [][2]string // argument name, related state variable
}

var ipConnActions = []action{
	{name: "SetConnectionType", in: [][2]string{{"NewConnectionType", "ConnectionType"}}},
	{name: "GetConnectionTypeInfo", out: [][2]string{{"NewConnectionType", "ConnectionType"}, {"NewPossibleConnectionTypes", "PossibleConnectionTypes"}}},
	{name: "RequestConnection"},
	{name: "ForceTermination"},
	{name: "GetStatusInfo", out: [][2]string{{"NewConnectionStatus", "ConnectionStatus"}, {"NewLastConnectionError", "LastConnectionError"}, {"NewUptime", "Uptime"}}},
	{name: "GetNATRSIPStatus", out: [][2]string{{"NewRSIPAvailable", "RSIPAvailable"}, {"NewNATEnabled", "NATEnabled"}}},
	{name: "GetGenericPortMappingEntry", in: [][2]string{{"NewPortMappingIndex", "PortMappingNumberOfEntries"}}, out: entryOut(true)},
	{name: "GetSpecificPortMappingEntry", in: keyIn(), out: entryOut(false)},
	{name: "AddPortMapping", in: addIn()},
	{name: "AddAnyPortMapping", v2: true, in: addIn(), out: [][2]string{{"NewReservedPort", "ExternalPort"}}},
	{name: "DeletePortMapping", in: keyIn()},
	{name: "DeletePortMappingRange", v2: true, in: [][2]string{{"NewStartPort", "ExternalPort"}, {"NewEndPort", "ExternalPort"},
		{"NewProtocol", "PortMappingProtocol"}, {"NewManage", "A_ARG_TYPE_Manage"}}},
	{name: "GetExternalIPAddress", out: [][2]string{{"NewExternalIPAddress", "ExternalIPAddress"}}},
	{name: "GetListOfPortMappings", v2: true, in: [][2]string{{"NewStartPort", "ExternalPort"}, {"NewEndPort", "ExternalPort"},
		{"NewProtocol", "PortMappingProtocol"}, {"NewManage", "A_ARG_TYPE_Manage"}, {"NewNumberOfPorts", "PortMappingNumberOfEntries"}},
		out: [][2]string{{"NewPortListing", "A_ARG_TYPE_PortListing"}}},
}

func keyIn() [][2]string {
	return [][2]string{{"NewRemoteHost", "RemoteHost"}, {"NewExternalPort", "ExternalPort"}, {"NewProtocol", "PortMappingProtocol"}}
}

func addIn() [][2]string {
	return append(keyIn(), [][2]string{{"NewInternalPort", "InternalPort"}, {"NewInternalClient", "InternalClient"},
		{"NewEnabled", "PortMappingEnabled"}, {"NewPortMappingDescription", "PortMappingDescription"},
		{"NewLeaseDuration", "PortMappingLeaseDuration"}}...)
}

func entryOut(withKey bool) [][2]string {
	var out [][2]string
	if withKey {
		out = keyIn()
	}
	return append(out, [][2]string{{"NewInternalPort", "InternalPort"}, {"NewInternalClient", "InternalClient"},
		{"NewEnabled", "PortMappingEnabled"}, {"NewPortMappingDescription", "PortMappingDescription"},
		{"NewLeaseDuration", "PortMappingLeaseDuration"}}...)
}

var ipConnVars = [][3]string{ // name, type, evented
	{"ConnectionType", "string", "no"}, {"PossibleConnectionTypes", "string", "yes"}, {"ConnectionStatus", "string", "yes"},
	{"Uptime", "ui4", "no"}, {"LastConnectionError", "string", "no"}, {"RSIPAvailable", "boolean", "no"},
	{"NATEnabled", "boolean", "no"}, {"ExternalIPAddress", "string", "yes"}, {"PortMappingNumberOfEntries", "ui2", "yes"},
	{"PortMappingEnabled", "boolean", "no"}, {"PortMappingLeaseDuration", "ui4", "no"}, {"RemoteHost", "string", "no"},
	{"ExternalPort", "ui2", "no"}, {"InternalPort", "ui2", "no"}, {"PortMappingProtocol", "string", "no"},
	{"InternalClient", "string", "no"}, {"PortMappingDescription", "string", "no"},
	{"A_ARG_TYPE_Manage", "boolean", "no"}, {"A_ARG_TYPE_PortListing", "string", "no"},
}

var commonActions = []action{
	{name: "GetCommonLinkProperties", out: [][2]string{{"NewWANAccessType", "WANAccessType"}, {"NewLayer1UpstreamMaxBitRate", "Layer1UpstreamMaxBitRate"},
		{"NewLayer1DownstreamMaxBitRate", "Layer1DownstreamMaxBitRate"}, {"NewPhysicalLinkStatus", "PhysicalLinkStatus"}}},
	{name: "GetTotalBytesSent", out: [][2]string{{"NewTotalBytesSent", "TotalBytesSent"}}},
	{name: "GetTotalBytesReceived", out: [][2]string{{"NewTotalBytesReceived", "TotalBytesReceived"}}},
	{name: "GetTotalPacketsSent", out: [][2]string{{"NewTotalPacketsSent", "TotalPacketsSent"}}},
	{name: "GetTotalPacketsReceived", out: [][2]string{{"NewTotalPacketsReceived", "TotalPacketsReceived"}}},
}

var commonVars = [][3]string{
	{"WANAccessType", "string", "no"}, {"Layer1UpstreamMaxBitRate", "ui4", "no"}, {"Layer1DownstreamMaxBitRate", "ui4", "no"},
	{"PhysicalLinkStatus", "string", "yes"}, {"TotalBytesSent", "ui4", "no"}, {"TotalBytesReceived", "ui4", "no"},
	{"TotalPacketsSent", "ui4", "no"}, {"TotalPacketsReceived", "ui4", "no"},
}

// scpd is a service description (UDA 1.1 §2.5); v2-only actions are left
// out of a version-1 service.
func scpd(actions []action, vars [][3]string, version int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>
<scpd xmlns="urn:schemas-upnp-org:service-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<actionList>
`)
	for _, a := range actions {
		if a.v2 && version < 2 {
			continue
		}
		fmt.Fprintf(&b, "<action><name>%s</name><argumentList>\n", a.name)
		for _, in := range a.in {
			fmt.Fprintf(&b, "<argument><name>%s</name><direction>in</direction><relatedStateVariable>%s</relatedStateVariable></argument>\n", in[0], in[1])
		}
		for _, out := range a.out {
			fmt.Fprintf(&b, "<argument><name>%s</name><direction>out</direction><relatedStateVariable>%s</relatedStateVariable></argument>\n", out[0], out[1])
		}
		b.WriteString("</argumentList></action>\n")
	}
	b.WriteString("</actionList>\n<serviceStateTable>\n")
	for _, v := range vars {
		fmt.Fprintf(&b, `<stateVariable sendEvents="%s"><name>%s</name><dataType>%s</dataType></stateVariable>`+"\n", v[2], v[0], v[1])
	}
	b.WriteString("</serviceStateTable>\n</scpd>\n")
	return []byte(b.String())
}
