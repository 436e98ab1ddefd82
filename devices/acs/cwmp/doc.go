// Package cwmp is the SOAP codec of the CPE WAN Management Protocol
// (BBF TR-069 Amendment 6, SOAP 1.1 envelopes over HTTP): the Inform session
// messages and the RPCs the management server of seed 000 uses to hand a
// set-top box its TR-111 keepalive parameters and to run operator commands.
//
// Parse reads one envelope strictly: size-bounded (MaxEnvelope), nesting and
// element counts bounded, any DTD, entity declaration or processing
// instruction refused (so no entity expansion can happen), the SOAP 1.1
// envelope namespace and one of the cwmp-1-0 … cwmp-1-4 namespaces required,
// a header element with mustUnderstand="1" that is not cwmp:ID,
// cwmp:HoldRequests, cwmp:NoMoreRequests or cwmp:SessionTimeout refused,
// exactly one body element. Encode writes the envelope the way deployed
// ACSes and CPE agents do (soap-env/soap-enc/xsd/xsi/cwmp prefixes,
// unqualified RPC arguments, soap-enc:arrayType on arrays, xsi:type on
// values). Both the TR-181 `Device.` and the TR-098
// `InternetGatewayDevice.` roots pass through unchanged; Root tells them
// apart.
//
// Messages: Inform/InformResponse, GetRPCMethods/Response,
// GetParameterValues/Response, SetParameterValues/Response, Reboot/Response,
// Download/Response, TransferComplete/Response and the SOAP Fault carrying a
// cwmp:Fault (codes 9000–9019, SetParameterValuesFault entries).
//
// It deliberately does not do: SOAP 1.2, multi-envelope HTTP bodies
// (MaxEnvelopes is always 1 since Amendment 2), the other RPCs (AddObject,
// DeleteObject, Get/SetParameterAttributes, GetParameterNames, Upload,
// ScheduleInform, FactoryReset, ChangeDUState, …: they parse as Unsupported
// so a server can answer 9000), XML signature or encryption.
package cwmp
