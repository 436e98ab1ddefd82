package ratings

import (
	"strings"
	"testing"
)

func sample() LogReport {
	return LogReport{MessageType: LogIn, UserID: "abc", ServiceID: "01", ProgramID: "11", OnlineState: "online",
		IMSI: "460001234567890", ChannelStat: "s-42"}
}

func TestLogReportRoundTrip(t *testing.T) {
	for _, r := range []LogReport{sample(), func() LogReport { r := sample(); r.MessageType = LogOut; r.UserID = "a&b<c>\"'"; return r }()} {
		got, err := ParseLogReport(r.Marshal())
		if err != nil || got != r {
			t.Fatalf("round trip of %+v = %+v, %v", r, got, err)
		}
	}
}

// The seed's own example (s301), completed with the schema's other elements.
const seedExample = `<?xml version="1.0" encoding="UTF-8"?>
<!-- edited with XMLSPY v5 rel. 4 U (http://www.xmlspy.com) by Registred (Registred) -->
<LogReport xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="C:\Documents and Settings\Administrator\Edit3.xsd">
<Message_Type Message_Type_Type="LogInInfo"/>
<User_ID User_ID_Type="abc"/>
<Service_ID Service_ID_Type="01"/>
<Program_ID Program_ID_Type="11"/>
<Online_state Online_state_Type="online"/>
<IMSI IMSI_Type="460001234567890"/>
<Channel_stat Channel_stat_Type="s-42"/>
</LogReport>`

func TestParseSeedExample(t *testing.T) {
	r, err := ParseLogReport([]byte(seedExample))
	if err != nil || r != sample() {
		t.Fatalf("seed 004 s301 example: %+v, %v", r, err)
	}
}

func TestParseLogReportRejects(t *testing.T) {
	el := func(name, v string) string { return "<" + name + " " + name + `_Type="` + v + `"/>` }
	doc := func(parts ...string) string { return "<LogReport>" + strings.Join(parts, "") + "</LogReport>" }
	all := []string{el("Message_Type", "LogInInfo"), el("User_ID", "abc"), el("Service_ID", "01"), el("Program_ID", "11"),
		el("Online_state", "online"), el("IMSI", "46000123"), el("Channel_stat", "s1")}
	with := func(i int, s string) string {
		p := append([]string(nil), all...)
		p[i] = s
		return doc(p...)
	}
	tests := []struct{ name, body, want string }{
		{"empty", "", "no <LogReport>"},
		{"schema: missing element", doc(all[:6]...), "missing <Channel_stat>"},
		{"schema: sequence order", doc(append([]string{all[1], all[0]}, all[2:]...)...), "where <Message_Type> belongs"},
		{"schema: unknown element", doc(append(all, el("Extra", "x"))...), "unexpected <Extra>"},
		{"schema: unknown attribute", with(1, `<User_ID User_ID_Type="a" x="y"/>`), "exactly one attribute"},
		{"schema: wrong attribute name", with(1, `<User_ID Type="a"/>`), "exactly one attribute"},
		{"schema: enumeration", with(0, el("Message_Type", "LogMnfo")), "want LogInInfo or LogOutInfo"},
		{"IMSI digits", with(5, el("IMSI", "12ab5")), "IMSI"},
		{"Online_state", with(4, el("Online_state", "maybe")), "Online_state"},
		{"empty ID", with(1, el("User_ID", "")), "User_ID"},
		{"space in ID", with(2, el("Service_ID", "a b")), "Service_ID"},
		{"long ID", with(3, el("Program_ID", strings.Repeat("p", 65))), "Program_ID"},
		{"nested", with(1, `<User_ID User_ID_Type="a"><x/></User_ID>`), "nested too deep"},
		{"text", with(1, `<User_ID User_ID_Type="a">hi</User_ID>`), "unexpected text"},
		{"wrong root", "<Report/>", "root <Report>"},
		{"two roots", doc(all...) + doc(all...), "root <LogReport>"},
		{"root attribute", `<LogReport a="b">` + strings.Join(all, "") + "</LogReport>", "unexpected attribute"},
		{"XXE: DTD", `<!DOCTYPE LogReport [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + doc(all...), "DTDs"},
		{"entity reference", with(1, el("User_ID", "&x;")), "LogReport"},
		{"billion laughs", `<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>` + doc(all...), "DTDs"},
		{"processing instruction", "<?php x?>" + doc(all...), "processing instruction"},
		{"encoding", `<?xml version="1.0" encoding="ISO-8859-1"?>` + doc(all...), "want UTF-8"},
		{"oversized", doc(all...) + "<!--" + strings.Repeat("x", MaxReportSize) + "-->", "want at most"},
		{"unclosed", "<LogReport>" + strings.Join(all, ""), "LogReport"},
		{"namespace on element", with(1, `<u:User_ID xmlns:u="urn:x" User_ID_Type="a"/>`), "belongs"},
	}
	for _, tt := range tests {
		_, err := ParseLogReport([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v; want one containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := ParseLogReport([]byte(doc(all...))); err != nil {
		t.Fatalf("the valid base document: %v", err)
	}
}

func FuzzParseLogReport(f *testing.F) {
	f.Add([]byte(seedExample))
	f.Add(sample().Marshal())
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><LogReport/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseLogReport(b)
		if err != nil {
			return
		}
		again, err := ParseLogReport(r.Marshal())
		if err != nil || again != r {
			t.Fatalf("accepted %q but its re-encoding gives %+v, %v", b, again, err)
		}
	})
}
