"""A real RTSP server as an RTSP camera under test (conformance/camera).

GStreamer's RTSP server library (Debian gir1.2-gst-rtsp-server-1.0 through
python3-gi) serves a synthetic MJPEG stream at rtsp://<address>:<port>/ and
answers OPTIONS, DESCRIBE (with its SDP) and the rest of RFC 2326 itself;
this script only configures it. Usage: rtsp_camera.py [port] (default 554).
"""
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_service(sys.argv[1] if len(sys.argv) > 1 else "554")
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true ! video/x-raw,format=I420,width=160,height=120,framerate=5/1"
    " ! jpegenc ! rtpjpegpay name=pay0 pt=26 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory("/", factory)
server.attach(None)
print("rtsp camera on port", server.get_service(), flush=True)
loop = GLib.MainLoop()
# The exec role stops its program with SIGTERM, and a PID namespace's first
# process only gets the signals it handles.
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
loop.run()
