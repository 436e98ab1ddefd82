package ratings

import (
	"fmt"
	"time"

	"github.com/boxlab/boxlab/devices/ratings/audience"
)

// Guide is the service guide (seed 004 §1) served as JSON at /guide.
// Durations are nanoseconds of simulated time since the run started.
type Guide struct {
	Version       uint64            `json:"version"` // bumped at every change; pushed as GUIDE <version>
	Channels      []Channel         `json:"channels"`
	Programmes    []Programme       `json:"programmes"`
	Windows       []audience.Window `json:"windows"` // rating windows (method A)
	FrameInterval time.Duration     `json:"frame_interval"`
	MinViewing    time.Duration     `json:"min_viewing"`
	StreamPort    int               `json:"stream_port"`
	ControlPort   int               `json:"control_port"` // the control channel (online state, polls)
	ReportPath    string            `json:"report_path"`
}

// Channel is one service.
type Channel struct {
	ServiceID string `json:"service_id"`
	Name      string `json:"name"`
}

// Programme is one scheduled programme of a channel.
type Programme struct {
	ProgramID string        `json:"program_id"`
	ServiceID string        `json:"service_id"`
	Title     string        `json:"title"`
	Start     time.Duration `json:"start"`
	End       time.Duration `json:"end"`
}

// ServiceID names channel i (0-based) like the seed: 01, 02, ...
func ServiceID(i int) string { return fmt.Sprintf("%02d", i+1) }

// ProgramAt is the programme airing on service at t when every programme
// lasts length: <service>-<index>.
func ProgramAt(service string, t, length time.Duration) string {
	return fmt.Sprintf("%s-%03d", service, int64(t/length))
}

func (o *ServerOptions) guide() Guide {
	g := Guide{FrameInterval: time.Duration(o.Frame), MinViewing: time.Duration(o.MinViewing), StreamPort: o.StreamPort,
		ControlPort: o.ControlPort, ReportPath: reportPath}
	length := time.Duration(o.Programme)
	for i := range o.Channels {
		sid := ServiceID(i)
		g.Channels = append(g.Channels, Channel{ServiceID: sid, Name: "Channel " + sid})
		for t := time.Duration(0); t < time.Duration(o.Horizon); t += length {
			id := ProgramAt(sid, t, length)
			g.Programmes = append(g.Programmes, Programme{ProgramID: id, ServiceID: sid, Title: "Programme " + id, Start: t, End: t + length})
		}
	}
	for _, w := range o.Windows {
		g.Windows = append(g.Windows, audience.Window{Name: w.Name, Service: w.Service, From: time.Duration(w.From), To: time.Duration(w.To)})
	}
	return g
}
