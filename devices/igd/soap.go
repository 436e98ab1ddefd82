package igd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxSOAPBody is the largest SOAP request the IGD reads; a longer one is
// refused before parsing (miniupnpd refuses bodies over a few KiB too).
const MaxSOAPBody = 16 << 10

// maxDepth bounds element nesting in a SOAP request.
const maxDepth = 8

const soapEnvNS = "http://schemas.xmlsoap.org/soap/envelope/"

// Request is one parsed SOAP action call.
type Request struct {
	Service string            // the action element's namespace: the service type
	Action  string            // the action element's local name
	Args    map[string]string // argument name -> text
}

// ErrBadSOAP is what ParseSOAP returns for anything that is not a plain,
// well-formed SOAP 1.1 envelope with one action.
var ErrBadSOAP = errors.New("bad SOAP request")

// ParseSOAP reads one SOAP request strictly: at most MaxSOAPBody bytes, no
// DTD or entity declarations (so no entity expansion), nesting at most
// maxDepth, an Envelope in the SOAP namespace holding a Body holding one
// action element whose children are the arguments as plain text.
func ParseSOAP(body []byte) (Request, error) {
	var req Request
	if len(body) > MaxSOAPBody {
		return req, fmt.Errorf("%w: body of %d bytes; limit %d", ErrBadSOAP, len(body), MaxSOAPBody)
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = nil
	var path []xml.Name
	var argName string
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return req, fmt.Errorf("%w: %v", ErrBadSOAP, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return req, fmt.Errorf("%w: DTD or declaration not allowed", ErrBadSOAP)
		case xml.ProcInst:
			if t.Target != "xml" || len(path) > 0 {
				return req, fmt.Errorf("%w: processing instruction %q", ErrBadSOAP, t.Target)
			}
		case xml.StartElement:
			path = append(path, t.Name)
			if len(path) > maxDepth {
				return req, fmt.Errorf("%w: nesting deeper than %d", ErrBadSOAP, maxDepth)
			}
			switch len(path) {
			case 1:
				if t.Name.Local != "Envelope" {
					return req, fmt.Errorf("%w: root <%s>; want Envelope", ErrBadSOAP, t.Name.Local)
				}
				if t.Name.Space != soapEnvNS {
					return req, fmt.Errorf("%w: Envelope namespace %q; want %s", ErrBadSOAP, t.Name.Space, soapEnvNS)
				}
			case 2:
				if t.Name.Local != "Body" && t.Name.Local != "Header" {
					return req, fmt.Errorf("%w: <%s> in Envelope; want Body", ErrBadSOAP, t.Name.Local)
				}
			case 3:
				if path[1].Local != "Body" {
					continue
				}
				if req.Action != "" {
					return req, fmt.Errorf("%w: more than one action in Body", ErrBadSOAP)
				}
				req.Action, req.Service, req.Args = t.Name.Local, t.Name.Space, map[string]string{}
			case 4:
				if path[1].Local == "Body" {
					argName = t.Name.Local
					text.Reset()
				}
			default:
				if path[1].Local == "Body" {
					return req, fmt.Errorf("%w: argument <%s> has child elements", ErrBadSOAP, argName)
				}
			}
		case xml.EndElement:
			if len(path) == 4 && path[1].Local == "Body" {
				if _, dup := req.Args[argName]; dup {
					return req, fmt.Errorf("%w: argument %s given twice", ErrBadSOAP, argName)
				}
				req.Args[argName] = strings.TrimSpace(text.String())
			}
			path = path[:len(path)-1]
		case xml.CharData:
			if len(path) == 4 {
				text.Write(t)
			}
		}
	}
	if req.Action == "" {
		return req, fmt.Errorf("%w: no action in Body", ErrBadSOAP)
	}
	return req, nil
}

// Fault is a UPnP error a SOAP action returns.
type Fault struct {
	Code int
	Desc string
}

func (f *Fault) Error() string { return fmt.Sprintf("UPnP error %d %s", f.Code, f.Desc) }

// UPnP error codes (UPnP Device Architecture, WANIPConnection:1/2).
var (
	ErrInvalidAction          = &Fault{401, "Invalid Action"}
	ErrInvalidArgs            = &Fault{402, "Invalid Args"}
	ErrActionFailed           = &Fault{501, "Action Failed"}
	ErrNotAuthorized          = &Fault{606, "Action not authorized"}
	ErrArrayIndexInvalid      = &Fault{713, "SpecifiedArrayIndexInvalid"}
	ErrNoSuchEntry            = &Fault{714, "NoSuchEntryInArray"}
	ErrWildCardExtPort        = &Fault{716, "WildCardNotPermittedInExtPort"}
	ErrConflict               = &Fault{718, "ConflictInMappingEntry"}
	ErrSamePortValues         = &Fault{724, "SamePortValuesRequired"}
	ErrOnlyPermanentLeases    = &Fault{725, "OnlyPermanentLeasesSupported"}
	ErrRemoteHostWildcardOnly = &Fault{726, "RemoteHostOnlySupportsWildcard"}
	ErrExtPortWildcardOnly    = &Fault{727, "ExternalPortOnlySupportsWildcard"}
	ErrNoPortMapsAvailable    = &Fault{728, "NoPortMapsAvailable"}
	ErrConflictOtherMechanism = &Fault{729, "ConflictWithOtherMechanisms"}
	ErrPortMappingNotFound    = &Fault{730, "PortMappingNotFound"}
	ErrWildCardIntPort        = &Fault{732, "WildCardNotPermittedInIntPort"}
	ErrInconsistentParameters = &Fault{733, "InconsistentParameters"}
)

func faultXML(f *Fault) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0"?>`+"\r\n"+`<s:Envelope xmlns:s="%s" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">`+
		`<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>`+
		`<detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>%d</errorCode>`+
		`<errorDescription>%s</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`+"\r\n", soapEnvNS, f.Code, f.Desc)
}

// arg is one output argument, in order.
type arg struct{ name, value string }

func responseXML(service, action string, out []arg) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0"?>`+"\r\n"+`<s:Envelope xmlns:s="%s" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">`+
		`<s:Body><u:%sResponse xmlns:u="%s">`, soapEnvNS, action, service)
	for _, a := range out {
		fmt.Fprintf(&b, "<%s>", a.name)
		if a.name == "NewPortListing" { // an XML document as a string: miniupnpd sends it as CDATA and miniupnpc expects that
			b.WriteString("<![CDATA[" + strings.ReplaceAll(a.value, "]]>", "]]]]><![CDATA[>") + "]]>")
		} else {
			xml.EscapeText(&b, []byte(a.value))
		}
		fmt.Fprintf(&b, "</%s>", a.name)
	}
	fmt.Fprintf(&b, "</u:%sResponse></s:Body></s:Envelope>\r\n", action)
	return b.Bytes()
}
