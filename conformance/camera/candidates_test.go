package camera_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// candidate is a camera under test: a program an exec node runs, and the
// camera types it serves.
type candidate struct {
	name  string
	types []string
	// argv is the command line, or "" and why it cannot run here.
	argv func() ([]string, string)
}

func (c candidate) serves(typ string) bool { return slices.Contains(c.types, typ) }

// candidates are boxlab's own camera, the Debian programs that can play
// one, and a vendor's camera from the environment.
func candidates() []candidate {
	out := []candidate{
		{name: "boxlab camera (boxlab device camera)", types: []string{"sip", "rtsp", "sdk"}, argv: boxlabCamera},
		{name: "kamailio (Debian kamailio: stateless SIP server)", types: []string{"sip"}, argv: kamailio},
		{name: "GStreamer RTSP server (Debian gir1.2-gst-rtsp-server-1.0)", types: []string{"rtsp"}, argv: gstRTSP},
	}
	if cmd := os.Getenv("BOXLAB_CAMERA_UNDER_TEST"); cmd != "" {
		types := strings.Split(os.Getenv("BOXLAB_CAMERA_TYPES"), ",")
		if os.Getenv("BOXLAB_CAMERA_TYPES") == "" {
			types = []string{"sip", "rtsp"}
		}
		out = append(out, candidate{name: "vendor camera (BOXLAB_CAMERA_UNDER_TEST)", types: types,
			argv: func() ([]string, string) { return []string{"sh", "-c", cmd}, "" }})
	}
	return out
}

// boxlabCamera runs boxlab's own camera role as a program, as a vendor's
// camera would run.
func boxlabCamera() ([]string, string) {
	bin, err := filepath.Abs("../../bin/boxlab")
	if err != nil {
		return nil, err.Error()
	}
	if out, err := exec.Command(bin, "device", "--help").CombinedOutput(); err != nil {
		return nil, "no usable " + bin + " with a `device ROLE` command (run `make build`): " + strings.TrimSpace(string(out))
	}
	return []string{bin, "device", "camera", "--options", "{}"}, ""
}

func kamailio() ([]string, string) {
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		return nil, "kamailio is not installed (apt-get install kamailio; .ci/run installs it)"
	}
	cfg, err := filepath.Abs("testdata/kamailio.cfg")
	if err != nil {
		return nil, err.Error()
	}
	return []string{"sh", "-c", "exec " + bin + " -f " + cfg + " -DD -E -l udp:$BOXLAB_ADDR:5060"}, ""
}

func gstRTSP() ([]string, string) {
	const py = "/usr/bin/python3"
	check := `import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer`
	if out, err := exec.Command(py, "-c", check).CombinedOutput(); err != nil {
		return nil, "GStreamer's RTSP server is not usable from " + py + " (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good; .ci/run installs them): " + strings.TrimSpace(string(out))
	}
	script, err := filepath.Abs("testdata/rtsp_camera.py")
	if err != nil {
		return nil, err.Error()
	}
	return []string{py, script, "554"}, ""
}

// yamlList is argv as a flow sequence (JSON is YAML).
func yamlList(argv []string) string {
	b, _ := json.Marshal(argv)
	return string(b)
}
