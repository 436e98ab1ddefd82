package ratings

import (
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/sim/scenario"
)

func TestServerOptionsCheck(t *testing.T) {
	for _, c := range []struct {
		name  string
		mod   func(o *ServerOptions)
		field string // "" : valid
	}{
		{"defaults", func(*ServerOptions) {}, ""},
		{"a dsn", func(o *ServerOptions) { o.DSN = "host=/run/postgresql dbname=ratings" }, ""},
		{"a dsn URL", func(o *ServerOptions) { o.DSN = "postgres://u@localhost/ratings?sslmode=disable" }, ""},
		{"a bad dsn", func(o *ServerOptions) { o.DSN = "postgres://u@[::1/x" }, "dsn"},
		{"no control rate", func(o *ServerOptions) { o.ControlRate = 0 }, "control_rate"},
		{"no burst", func(o *ServerOptions) { o.ControlBurst = 0 }, "control_rate"},
		{"no control channel", func(o *ServerOptions) { o.ControlPort = 0 }, ""},
		{"polls without a control channel", func(o *ServerOptions) { o.ControlPort, o.Poll = 0, scenario.Duration(time.Minute) }, "control_port"},
		{"a negative control port", func(o *ServerOptions) { o.ControlPort = -1 }, "control_port"},
		{"bad sync", func(o *ServerOptions) { o.Sync = "sometimes" }, "sync"},
	} {
		o := DefaultServerOptions()
		c.mod(o)
		errs := o.Check(&scenario.Scenario{})
		if c.field == "" {
			if len(errs) != 0 {
				t.Errorf("%s: %v; want valid", c.name, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Field != c.field {
			t.Errorf("%s: %v; want one error on %s", c.name, errs, c.field)
		}
	}
}

func TestJudgeOptionsCheck(t *testing.T) {
	s := &scenario.Scenario{}
	errs := (&JudgeOptions{Port: 8080}).Check(s)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "server") {
		t.Errorf("no server: %v", errs)
	}
	if errs := (&JudgeOptions{Server: "nope", Port: 0}).Check(s); len(errs) != 2 {
		t.Errorf("unknown server, port 0: %v; want two errors", errs)
	}
}
