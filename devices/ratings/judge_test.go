package ratings

import (
	"strings"
	"testing"
	"time"
)

func TestParseViewings(t *testing.T) {
	for _, c := range []struct {
		name, in string
		n        int
		err      string
	}{
		{"null", `null`, 0, ""},
		{"empty", `[]`, 0, ""},
		{"closed and open", `[{"session":"s1","user":"u","service":"01","program":"01-000","start":1000000000,"end":61000000000},
			{"session":"s2","user":"u","service":"02","program":"02-000","start":5,"end":0,"open":true}]`, 2, ""},
		{"not json", `<viewings/>`, 0, "invalid character"},
		{"object", `{"session":"s1"}`, 0, "cannot unmarshal"},
		{"no session", `[{"user":"u","service":"01","program":"p","start":1,"end":2}]`, 0, "want 1 to"},
		{"space in user", `[{"session":"s","user":"a b","service":"01","program":"p","start":1,"end":2}]`, 0, "printable ASCII"},
		{"end before start", `[{"session":"s","user":"u","service":"01","program":"p","start":5,"end":2}]`, 0, "start 5ns, end 2ns"},
		{"negative start", `[{"session":"s","user":"u","service":"01","program":"p","start":-1,"end":2}]`, 0, "start -1ns"},
		{"twice", `[{"session":"s","user":"u","service":"01","program":"p","start":1,"end":2},
			{"session":"s","user":"u","service":"01","program":"p","start":1,"end":2}]`, 0, "session s twice"},
	} {
		vs, err := ParseViewings([]byte(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v; want one containing %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || len(vs) != c.n {
			t.Errorf("%s: %d records, %v; want %d", c.name, len(vs), err, c.n)
		}
	}
	vs, _ := ParseViewings([]byte(`[{"session":"s1","user":"u","service":"01","program":"01-000","start":1000000000,"end":61000000000}]`))
	if vs[0].Start != time.Second || vs[0].End != 61*time.Second || vs[0].Open {
		t.Errorf("record = %+v", vs[0])
	}
}

// FuzzParseViewings: a server under test's answer never panics the judge,
// and what is accepted obeys the record rules.
func FuzzParseViewings(f *testing.F) {
	f.Add([]byte(`[{"session":"s1","user":"u","service":"01","program":"01-000","start":1,"end":2}]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"session":"s","open":true,"start":3}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := ParseViewings(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, v := range vs {
			if v.Start < 0 || !v.Open && v.End < v.Start || seen[v.Session] || checkID(v.User) != nil {
				t.Fatalf("accepted a bad record %+v", v)
			}
			seen[v.Session] = true
		}
	})
}
