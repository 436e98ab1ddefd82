package stb

import (
	"strings"
	"testing"

	"github.com/boxlab/boxlab/sim/scenario"
)

func TestMapperOptionsCheck(t *testing.T) {
	s := &scenario.Scenario{Topology: scenario.Topology{Servers: []scenario.Server{{Name: "mon"}}}}
	def := func() *MapperOptions { return MapperRoles()[0].Options().(*MapperOptions) }
	for _, tc := range []struct {
		name  string
		edit  func(o *MapperOptions)
		field string // "" = valid
	}{
		{"defaults with a monitor", func(o *MapperOptions) {}, ""},
		{"tcp probe", func(o *MapperOptions) { o.Probe = "tcp" }, ""},
		{"auto protocol", func(o *MapperOptions) { o.Protocol = "auto" }, ""},
		{"no such monitor", func(o *MapperOptions) { o.Monitor = "nosuch" }, "monitor"},
		{"probe sctp", func(o *MapperOptions) { o.Probe = "sctp" }, "probe"},
		{"protocol igd", func(o *MapperOptions) { o.Protocol = "igd" }, "protocol"},
		{"port 0", func(o *MapperOptions) { o.Port = 0 }, "port"},
		{"port 65536", func(o *MapperOptions) { o.Port = 65536 }, "port"},
		{"report 0", func(o *MapperOptions) { o.Report = 0 }, "report"},
		{"negative lease", func(o *MapperOptions) { o.Lease = -1 }, "report"},
	} {
		o := def()
		o.Monitor = "mon"
		tc.edit(o)
		errs := o.Check(s)
		var fields []string
		for _, e := range errs {
			fields = append(fields, e.Field)
		}
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%s: Check = %v; want none", tc.name, errs)
		case tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field):
			t.Errorf("%s: Check fields %s; want [%s]", tc.name, strings.Join(fields, ","), tc.field)
		}
	}
}
