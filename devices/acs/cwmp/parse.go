package cwmp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits of what Parse reads.
const (
	MaxEnvelope = 256 << 10 // bytes of one envelope
	maxDepth    = 16        // element nesting
	maxElements = 20000     // elements in one envelope
	maxEvents   = 64        // EventStruct[64] (TR-069 Table 36)
	maxName     = 256       // parameter name length (string(256))
)

// Errors Parse wraps, so callers can count refusals by kind.
var (
	ErrEmpty      = errors.New("cwmp: empty body")
	ErrTooLarge   = errors.New("cwmp: envelope too large")
	ErrDeclared   = errors.New("cwmp: DTD, declaration or processing instruction refused")
	ErrMalformed  = errors.New("cwmp: malformed envelope")
	ErrNamespace  = errors.New("cwmp: wrong namespace")
	ErrUnderstand = errors.New("cwmp: mustUnderstand header not understood")
	ErrInvalid    = errors.New("cwmp: invalid message")
)

// Parse decodes one SOAP envelope strictly (see the package comment).
func Parse(b []byte) (*Envelope, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, ErrEmpty
	}
	if len(b) > MaxEnvelope {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxEnvelope)
	}
	if err := scan(b); err != nil {
		return nil, err
	}
	env, err := decode(b)
	if err != nil {
		return nil, err
	}
	if err := check(env.Body); err != nil {
		return nil, err
	}
	return env, nil
}

func newDecoder(b []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return r, nil
		}
		return nil, fmt.Errorf("%w: encoding %q; want UTF-8", ErrMalformed, label)
	}
	return d
}

// scan is the first pass: well-formedness, bounds, no DTD, one root.
func scan(b []byte) error {
	d := newDecoder(b)
	depth, elements, roots, first := 0, 0, 0, true
	for {
		t, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := t.(type) {
		case xml.Directive:
			return ErrDeclared
		case xml.ProcInst:
			if !first || t.Target != "xml" {
				return ErrDeclared
			}
		case xml.StartElement:
			depth++
			elements++
			if depth == 1 {
				roots++
			}
			if depth > maxDepth || elements > maxElements || roots > 1 {
				return fmt.Errorf("%w: too deep, too many elements or several roots", ErrMalformed)
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("%w: text outside the envelope", ErrMalformed)
			}
		}
		first = false
	}
	if roots != 1 {
		return fmt.Errorf("%w: no envelope", ErrMalformed)
	}
	return nil
}

// decode is the second pass: header fields and the body message.
func decode(b []byte) (*Envelope, error) {
	d := newDecoder(b)
	root, err := nextStart(d)
	if err != nil {
		return nil, err
	}
	if root.Name.Space != NSEnvelope || root.Name.Local != "Envelope" {
		return nil, fmt.Errorf("%w: root {%s}%s; want a SOAP 1.1 Envelope", ErrNamespace, root.Name.Space, root.Name.Local)
	}
	env := &Envelope{}
	seenBody := false
	for {
		el, err := nextStart(d)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case el.Name.Space == NSEnvelope && el.Name.Local == "Header" && !seenBody:
			if err := decodeHeader(d, env); err != nil {
				return nil, err
			}
		case el.Name.Space == NSEnvelope && el.Name.Local == "Body" && !seenBody:
			seenBody = true
			if err := decodeBody(d, env); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: unexpected {%s}%s in the envelope", ErrMalformed, el.Name.Space, el.Name.Local)
		}
	}
	if !seenBody || env.Body == nil {
		return nil, fmt.Errorf("%w: no body message", ErrMalformed)
	}
	return env, nil
}

// nextStart returns the next start element at this level, io.EOF at the
// end of the enclosing element.
func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		t, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, io.EOF
		}
	}
}

func mustUnderstand(el xml.StartElement) bool {
	for _, a := range el.Attr {
		if a.Name.Local == "mustUnderstand" && (a.Value == "1" || a.Value == "true") {
			return true
		}
	}
	return false
}

func decodeHeader(d *xml.Decoder, env *Envelope) error {
	for {
		el, err := nextStart(d)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		var text string
		if err := d.DecodeElement(&text, &el); err != nil {
			return fmt.Errorf("%w: header %s: %v", ErrMalformed, el.Name.Local, err)
		}
		text = strings.TrimSpace(text)
		known := IsNamespace(el.Name.Space)
		switch {
		case known && el.Name.Local == "ID":
			env.ID, env.NS = text, el.Name.Space
		case known && el.Name.Local == "HoldRequests":
			env.HoldRequests = text == "1" || text == "true"
		case known && el.Name.Local == "NoMoreRequests":
			env.NoMoreRequests = text == "1" || text == "true"
		case known && el.Name.Local == "SessionTimeout":
		case mustUnderstand(el):
			return fmt.Errorf("%w: {%s}%s", ErrUnderstand, el.Name.Space, el.Name.Local)
		}
	}
}

// soapFault is the wire shape of a SOAP 1.1 Fault with a cwmp detail.
type soapFault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Fault struct {
			XMLName     xml.Name
			FaultCode   int          `xml:"FaultCode"`
			FaultString string       `xml:"FaultString"`
			Params      []ParamFault `xml:"SetParameterValuesFault"`
		} `xml:"Fault"`
	} `xml:"detail"`
}

func decodeBody(d *xml.Decoder, env *Envelope) error {
	for {
		el, err := nextStart(d)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if env.Body != nil {
			return fmt.Errorf("%w: more than one body element", ErrMalformed)
		}
		if el.Name.Space == NSEnvelope && el.Name.Local == "Fault" {
			var f soapFault
			if err := d.DecodeElement(&f, &el); err != nil {
				return fmt.Errorf("%w: Fault: %v", ErrMalformed, err)
			}
			if !IsNamespace(f.Detail.Fault.XMLName.Space) {
				return fmt.Errorf("%w: a Fault without a cwmp:Fault detail", ErrNamespace)
			}
			if env.NS == "" {
				env.NS = f.Detail.Fault.XMLName.Space
			}
			code := strings.TrimSpace(f.Code)
			if i := strings.LastIndexByte(code, ':'); i >= 0 {
				code = code[i+1:]
			}
			env.Body = &Fault{SOAPCode: code, Code: f.Detail.Fault.FaultCode,
				String: strings.TrimSpace(f.Detail.Fault.FaultString), ParamFail: f.Detail.Fault.Params}
			continue
		}
		if !IsNamespace(el.Name.Space) {
			return fmt.Errorf("%w: body element {%s}%s; want a cwmp-1-x namespace", ErrNamespace, el.Name.Space, el.Name.Local)
		}
		if env.NS == "" {
			env.NS = el.Name.Space
		}
		m := newMessage(el.Name.Local)
		if m == nil {
			if err := d.Skip(); err != nil {
				return fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			env.Body = &Unsupported{Name: el.Name.Local}
			continue
		}
		if err := d.DecodeElement(m, &el); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, el.Name.Local, err)
		}
		env.Body = m
	}
}

// check applies the per-message rules decoding cannot express.
func check(m Message) error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(f, a...)) }
	params := func(ps []ParameterValue) error {
		for i := range ps {
			p := &ps[i]
			p.Name = strings.TrimSpace(p.Name)
			if p.Name == "" || len(p.Name) > maxName {
				return bad("parameter name %q: want 1..%d characters", clip(p.Name), maxName)
			}
			if j := strings.LastIndexByte(p.Value.Type, ':'); j >= 0 {
				p.Value.Type = p.Value.Type[j+1:]
			}
		}
		return nil
	}
	switch m := m.(type) {
	case *Inform:
		if strings.TrimSpace(m.DeviceID.SerialNumber) == "" || len(m.DeviceID.SerialNumber) > 64 {
			return bad("Inform: DeviceId/SerialNumber: want 1..64 characters")
		}
		if len(m.Events) > maxEvents {
			return bad("Inform: %d events; at most %d", len(m.Events), maxEvents)
		}
		for i := range m.Events {
			m.Events[i].Code = strings.TrimSpace(m.Events[i].Code)
			if m.Events[i].Code == "" || len(m.Events[i].Code) > 64 {
				return bad("Inform: an empty or oversized EventCode")
			}
		}
		return params(m.Params)
	case *GetParameterValuesResponse:
		return params(m.Params)
	case *SetParameterValues:
		return params(m.Params)
	case *GetParameterValues:
		for i, n := range m.Names {
			m.Names[i] = strings.TrimSpace(n)
			if len(m.Names[i]) > maxName {
				return bad("GetParameterValues: name longer than %d", maxName)
			}
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
