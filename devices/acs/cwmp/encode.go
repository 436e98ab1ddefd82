package cwmp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
)

// Encode writes env as a SOAP 1.1 envelope.
func Encode(env *Envelope) []byte {
	ns := env.NS
	if ns == "" {
		ns = NS10
	}
	w := &writer{}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.raw(`<soap-env:Envelope xmlns:soap-env="` + NSEnvelope + `" xmlns:soap-enc="` + NSEncoding +
		`" xmlns:xsd="` + NSXSD + `" xmlns:xsi="` + NSXSI + `" xmlns:cwmp="` + ns + `">`)
	if env.ID != "" || env.HoldRequests || env.NoMoreRequests {
		w.raw(`<soap-env:Header>`)
		if env.ID != "" {
			w.raw(`<cwmp:ID soap-env:mustUnderstand="1">`)
			w.text(env.ID)
			w.raw(`</cwmp:ID>`)
		}
		if env.HoldRequests {
			w.raw(`<cwmp:HoldRequests soap-env:mustUnderstand="1">1</cwmp:HoldRequests>`)
		}
		if env.NoMoreRequests {
			w.raw(`<cwmp:NoMoreRequests>1</cwmp:NoMoreRequests>`)
		}
		w.raw(`</soap-env:Header>`)
	}
	w.raw(`<soap-env:Body>`)
	if f, ok := env.Body.(*Fault); ok {
		w.fault(f)
	} else if env.Body != nil {
		name := env.Body.Method()
		w.raw(`<cwmp:` + name + `>`)
		w.body(env.Body)
		w.raw(`</cwmp:` + name + `>`)
	}
	w.raw(`</soap-env:Body></soap-env:Envelope>`)
	return w.b.Bytes()
}

type writer struct{ b bytes.Buffer }

func (w *writer) raw(s string) { w.b.WriteString(s) }
func (w *writer) text(s string) {
	xml.EscapeText(&w.b, []byte(s))
}
func (w *writer) el(name, v string) {
	if v == "" {
		w.raw("<" + name + "></" + name + ">")
		return
	}
	w.raw("<" + name + ">")
	w.text(v)
	w.raw("</" + name + ">")
}
func (w *writer) int(name string, v int64) { w.el(name, strconv.FormatInt(v, 10)) }

func (w *writer) params(ps []ParameterValue) {
	w.raw(fmt.Sprintf(`<ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[%d]">`, len(ps)))
	for _, p := range ps {
		w.raw("<ParameterValueStruct>")
		w.el("Name", p.Name)
		typ := p.Value.Type
		if typ == "" {
			typ = "string"
		}
		w.raw(`<Value xsi:type="xsd:` + typ + `">`)
		w.text(p.Value.Text)
		w.raw("</Value></ParameterValueStruct>")
	}
	w.raw("</ParameterList>")
}

func (w *writer) strings(list, typ string, vs []string) {
	w.raw(fmt.Sprintf(`<%s soap-enc:arrayType="xsd:%s[%d]">`, list, typ, len(vs)))
	for _, v := range vs {
		w.el("string", v)
	}
	w.raw("</" + list + ">")
}

func (w *writer) faultStruct(f FaultStruct) {
	w.raw("<FaultStruct>")
	w.int("FaultCode", int64(f.FaultCode))
	w.el("FaultString", f.FaultString)
	w.raw("</FaultStruct>")
}

func (w *writer) body(m Message) {
	switch m := m.(type) {
	case *Inform:
		w.raw("<DeviceId>")
		w.el("Manufacturer", m.DeviceID.Manufacturer)
		w.el("OUI", m.DeviceID.OUI)
		w.el("ProductClass", m.DeviceID.ProductClass)
		w.el("SerialNumber", m.DeviceID.SerialNumber)
		w.raw("</DeviceId>")
		w.raw(fmt.Sprintf(`<Event soap-enc:arrayType="cwmp:EventStruct[%d]">`, len(m.Events)))
		for _, e := range m.Events {
			w.raw("<EventStruct>")
			w.el("EventCode", e.Code)
			w.el("CommandKey", e.CommandKey)
			w.raw("</EventStruct>")
		}
		w.raw("</Event>")
		w.int("MaxEnvelopes", 1)
		w.el("CurrentTime", m.CurrentTime)
		w.int("RetryCount", int64(m.RetryCount))
		w.params(m.Params)
	case *InformResponse:
		w.int("MaxEnvelopes", 1)
	case *GetRPCMethods, *RebootResponse, *TransferCompleteResponse:
	case *GetRPCMethodsResponse:
		w.strings("MethodList", "string", m.Methods)
	case *GetParameterValues:
		w.strings("ParameterNames", "string", m.Names)
	case *GetParameterValuesResponse:
		w.params(m.Params)
	case *SetParameterValues:
		w.params(m.Params)
		w.el("ParameterKey", m.ParameterKey)
	case *SetParameterValuesResponse:
		w.int("Status", int64(m.Status))
	case *Reboot:
		w.el("CommandKey", m.CommandKey)
	case *Download:
		w.el("CommandKey", m.CommandKey)
		w.el("FileType", m.FileType)
		w.el("URL", m.URL)
		w.el("Username", m.Username)
		w.el("Password", m.Password)
		w.int("FileSize", m.FileSize)
		w.el("TargetFileName", m.TargetFileName)
		w.int("DelaySeconds", int64(m.DelaySeconds))
		w.el("SuccessURL", m.SuccessURL)
		w.el("FailureURL", m.FailureURL)
	case *DownloadResponse:
		w.int("Status", int64(m.Status))
		w.el("StartTime", orUnknown(m.StartTime))
		w.el("CompleteTime", orUnknown(m.CompleteTime))
	case *TransferComplete:
		w.el("CommandKey", m.CommandKey)
		w.faultStruct(m.Fault)
		w.el("StartTime", orUnknown(m.StartTime))
		w.el("CompleteTime", orUnknown(m.CompleteTime))
	}
}

// orUnknown is the "Unknown Time" of TR-069 for an empty dateTime.
func orUnknown(t string) string {
	if t == "" {
		return "0001-01-01T00:00:00Z"
	}
	return t
}

func (w *writer) fault(f *Fault) {
	code := f.SOAPCode
	if code == "" {
		code = "Server"
	}
	w.raw("<soap-env:Fault>")
	w.el("faultcode", code)
	w.el("faultstring", "CWMP fault")
	w.raw("<detail><cwmp:Fault>")
	w.int("FaultCode", int64(f.Code))
	w.el("FaultString", f.String)
	for _, p := range f.ParamFail {
		w.raw("<SetParameterValuesFault>")
		w.el("ParameterName", p.ParameterName)
		w.int("FaultCode", int64(p.FaultCode))
		w.el("FaultString", p.FaultString)
		w.raw("</SetParameterValuesFault>")
	}
	w.raw("</cwmp:Fault></detail></soap-env:Fault>")
}
