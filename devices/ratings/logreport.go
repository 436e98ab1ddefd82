package ratings

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxReportSize bounds a LogReport body; the seed's examples are ~1.2 KB.
const MaxReportSize = 8 << 10

// maxDepth bounds element nesting (LogReport holds empty elements only).
const maxDepth = 2

// maxValue bounds every attribute value.
const maxValue = 64

// MessageType is LogInInfo or LogOutInfo (seed 004, table 5).
type MessageType string

// The two message types of the seed's schema.
const (
	LogIn  MessageType = "LogInInfo"
	LogOut MessageType = "LogOutInfo"
)

// LogReport is the terminal's report (seed 004 §5): each element of the
// schema's sequence holds its value in the attribute <Element>_Type.
type LogReport struct {
	MessageType MessageType // Message_Type
	UserID      string      // User_ID
	ServiceID   string      // Service_ID: the channel
	ProgramID   string      // Program_ID: the programme airing at the first frame
	OnlineState string      // Online_state: online or offline
	IMSI        string      // IMSI: 5 to 15 digits
	ChannelStat string      // Channel_stat: the content-stream session the viewing is on
}

// fields is the schema's sequence, in order.
var fields = []string{"Message_Type", "User_ID", "Service_ID", "Program_ID", "Online_state", "IMSI", "Channel_stat"}

func (r *LogReport) slot(i int) *string {
	switch i {
	case 0:
		return (*string)(&r.MessageType)
	case 1:
		return &r.UserID
	case 2:
		return &r.ServiceID
	case 3:
		return &r.ProgramID
	case 4:
		return &r.OnlineState
	case 5:
		return &r.IMSI
	default:
		return &r.ChannelStat
	}
}

// Marshal renders the report as the seed's XML document.
func (r LogReport) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<LogReport xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` + "\n")
	for i, f := range fields {
		fmt.Fprintf(&b, "  <%s %s_Type=\"", f, f)
		xml.EscapeText(&b, []byte(*r.slot(i)))
		b.WriteString("\"/>\n")
	}
	b.WriteString("</LogReport>\n")
	return b.Bytes()
}

// ParseLogReport reads a LogReport strictly: the root is LogReport (an
// xsi namespace declaration and xsi:noNamespaceSchemaLocation are allowed);
// it holds exactly the seven elements of the schema in order, each empty
// with its one required attribute; no DTD, no processing instruction other
// than the XML declaration, no text; values pass Validate.
func ParseLogReport(body []byte) (LogReport, error) {
	var r LogReport
	if len(body) > MaxReportSize {
		return r, fmt.Errorf("LogReport: body of %d bytes; want at most %d", len(body), MaxReportSize)
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = nil
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("encoding %q; want UTF-8", label)
	}
	depth, next, done := 0, 0, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return r, fmt.Errorf("LogReport: %w", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" || depth > 0 || next > 0 || done {
				return r, fmt.Errorf("LogReport: processing instruction <?%s?> not allowed", t.Target)
			}
		case xml.Directive:
			return r, errors.New("LogReport: DTDs and directives (<!...>) are not allowed")
		case xml.Comment:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return r, fmt.Errorf("LogReport: unexpected text %q", clip(string(bytes.TrimSpace(t))))
			}
		case xml.StartElement:
			depth++
			if depth > maxDepth {
				return r, fmt.Errorf("LogReport: <%s> nested too deep; elements of LogReport are empty", t.Name.Local)
			}
			if depth == 1 {
				if done || t.Name.Local != "LogReport" || t.Name.Space != "" {
					return r, fmt.Errorf("LogReport: root <%s>; want one <LogReport>", t.Name.Local)
				}
				if err := rootAttrs(t.Attr); err != nil {
					return r, err
				}
				continue
			}
			if next >= len(fields) {
				return r, fmt.Errorf("LogReport: unexpected <%s> after Channel_stat", t.Name.Local)
			}
			want := fields[next]
			if t.Name.Local != want || t.Name.Space != "" {
				return r, fmt.Errorf("LogReport: <%s> where <%s> belongs; want %s in order", t.Name.Local, want, strings.Join(fields, ", "))
			}
			if len(t.Attr) != 1 || t.Attr[0].Name.Local != want+"_Type" || t.Attr[0].Name.Space != "" {
				return r, fmt.Errorf("LogReport: <%s> wants exactly one attribute %s_Type", want, want)
			}
			*r.slot(next) = t.Attr[0].Value
			next++
		case xml.EndElement:
			depth--
			if depth == 0 {
				done = true
			}
		}
	}
	if !done {
		return r, errors.New("LogReport: no <LogReport> element")
	}
	if next < len(fields) {
		return r, fmt.Errorf("LogReport: missing <%s>", fields[next])
	}
	return r, r.Validate()
}

func rootAttrs(as []xml.Attr) error {
	for _, a := range as {
		switch {
		case a.Name.Space == "xmlns" && a.Name.Local == "xsi":
		case a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance" && a.Name.Local == "noNamespaceSchemaLocation":
		default:
			return fmt.Errorf("LogReport: unexpected attribute %q on <LogReport>", a.Name.Local)
		}
	}
	return nil
}

// Validate checks every value: the message type is one of the two, IDs are
// 1..64 printable ASCII characters without spaces, IMSI is 5..15 digits,
// Online_state is online or offline.
func (r LogReport) Validate() error {
	if r.MessageType != LogIn && r.MessageType != LogOut {
		return fmt.Errorf("LogReport: Message_Type %q; want LogInInfo or LogOutInfo", clip(string(r.MessageType)))
	}
	for _, f := range []struct{ name, v string }{{"User_ID", r.UserID}, {"Service_ID", r.ServiceID},
		{"Program_ID", r.ProgramID}, {"Channel_stat", r.ChannelStat}} {
		if err := checkID(f.v); err != nil {
			return fmt.Errorf("LogReport: %s: %w", f.name, err)
		}
	}
	if r.OnlineState != "online" && r.OnlineState != "offline" {
		return fmt.Errorf("LogReport: Online_state %q; want online or offline", clip(r.OnlineState))
	}
	if n := len(r.IMSI); n < 5 || n > 15 || strings.Trim(r.IMSI, "0123456789") != "" {
		return fmt.Errorf("LogReport: IMSI %q; want 5 to 15 digits", clip(r.IMSI))
	}
	return nil
}

func checkID(v string) error {
	if v == "" || len(v) > maxValue {
		return fmt.Errorf("want 1 to %d characters; got %d", maxValue, len(v))
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return fmt.Errorf("%q: want printable ASCII without spaces", clip(v))
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
