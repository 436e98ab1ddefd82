package camera

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/sim/scenario"
)

// Roles is the camera role.
func Roles() []devices.Role {
	return []devices.Role{
		{Name: "camera", Doc: "unmodified IP camera: SIP-style UDP 5060 (OPTIONS/MESSAGE answered to the packet's source, rport), RTSP-style TCP 554 and a vendor-SDK-like binary login port TCP 8000 (BXSDK/1)",
			Options: func() any {
				return &Options{SIPPort: 5060, RTSPPort: 554, SDKPort: 8000, SDKUser: "admin", SDKPassword: "admin"}
			},
			New: func(o any) (devices.Device, error) { return &Camera{Options: *o.(*Options)}, nil }},
	}
}

// Options configure a camera; a port of 0 turns that service off.
type Options struct {
	SIPPort     int    `yaml:"sip_port"`     // default 5060
	RTSPPort    int    `yaml:"rtsp_port"`    // default 554
	SDKPort     int    `yaml:"sdk_port"`     // BXSDK/1 login port; default 8000
	SDKUser     string `yaml:"sdk_user"`     // the login BXSDK accepts; default admin
	SDKPassword string `yaml:"sdk_password"` // default admin
	// IgnoreRport models firmware that ignores rport (RFC 3581): it answers
	// to the Via's sent-by port instead of the packet's source port, which a
	// NAT in front of it does not let back in. Default false.
	IgnoreRport bool `yaml:"ignore_rport"`
}

// Check validates the options.
func (o *Options) Check(*scenario.Scenario) []scenario.FieldError {
	var errs []scenario.FieldError
	for _, p := range []struct {
		name string
		v    int
	}{{"sip_port", o.SIPPort}, {"rtsp_port", o.RTSPPort}, {"sdk_port", o.SDKPort}} {
		if p.v < 0 || p.v > 65535 {
			errs = append(errs, scenario.FieldError{Field: p.name, Msg: fmt.Sprintf("want a port 0..65535 (0 = off); got %d", p.v)})
		}
	}
	return errs
}

// Camera is a running camera.
type Camera struct {
	Options Options
}

// Run serves its ports until ctx ends.
func (c *Camera) Run(ctx context.Context, env *devices.Env) error {
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	if c.Options.SIPPort > 0 {
		pc, err := env.NS.ListenPacket("udp4", fmt.Sprintf(":%d", c.Options.SIPPort))
		if err != nil {
			return fmt.Errorf("camera sip listen: %w", err)
		}
		defer context.AfterFunc(ctx, func() { pc.Close() })()
		defer pc.Close()
		wg.Go(func() { errc <- c.serveSIP(ctx, env, pc) })
	}
	if c.Options.RTSPPort > 0 {
		l, err := env.NS.Listen("tcp4", fmt.Sprintf(":%d", c.Options.RTSPPort))
		if err != nil {
			return fmt.Errorf("camera rtsp listen: %w", err)
		}
		defer context.AfterFunc(ctx, func() { l.Close() })()
		defer l.Close()
		wg.Go(func() { errc <- serveTCP(ctx, env, l, "rtsp", serveRTSPConn) })
	}
	if c.Options.SDKPort > 0 {
		l, err := env.NS.Listen("tcp4", fmt.Sprintf(":%d", c.Options.SDKPort))
		if err != nil {
			return fmt.Errorf("camera sdk listen: %w", err)
		}
		defer context.AfterFunc(ctx, func() { l.Close() })()
		defer l.Close()
		wg.Go(func() { errc <- serveTCP(ctx, env, l, "sdk", c.serveSDKConn) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Camera) serveSIP(ctx context.Context, env *devices.Env, pc net.PacketConn) error {
	buf := make([]byte, maxSIP+1)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("camera sip read: %w", err)
		}
		src := from.(*net.UDPAddr).AddrPort()
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		req, err := ParseSIP(buf[:n])
		if err != nil || req.Method == "" {
			env.Log.Info("camera.bad_sip", "from", src.String())
			continue
		}
		if req.Method != "OPTIONS" && req.Method != "MESSAGE" {
			env.Log.Info("camera.sip_unsupported", "from", src.String(), "method", req.Method)
			continue
		}
		to := net.UDPAddrFromAddrPort(replyTo(req, src, !c.Options.IgnoreRport))
		if _, err := pc.WriteTo(answer(req, src.String(), env.Node, !c.Options.IgnoreRport), to); err != nil {
			env.Log.Info("camera.send_error", "err", err.Error())
			continue
		}
		env.Log.Info("camera.sip", "from", src.String(), "method", req.Method)
		env.Log.Info("camera.sip_" + devices.Group(env.Node))
	}
}

// serveTCP accepts connections on l and serves each with serve until ctx ends.
func serveTCP(ctx context.Context, env *devices.Env, l net.Listener, name string, serve func(*devices.Env, net.Conn)) error {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("camera %s accept: %w", name, err)
		}
		conns.Go(func() {
			defer c.Close()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			serve(env, c)
		})
	}
}

// serveRTSPConn answers OPTIONS and DESCRIBE requests on one connection.
func serveRTSPConn(env *devices.Env, c net.Conn) {
	r := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(time.Minute))
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		cseq := "0"
		for {
			h, err := r.ReadString('\n')
			if err != nil {
				return
			}
			h = strings.TrimSpace(h)
			if h == "" {
				break
			}
			if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "CSeq") {
				cseq = strings.TrimSpace(v)
			}
		}
		var resp string
		switch {
		case len(f) == 3 && f[0] == "OPTIONS" && f[2] == "RTSP/1.0":
			resp = fmt.Sprintf("RTSP/1.0 200 OK\r\nCSeq: %s\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n", cseq)
		case len(f) == 3 && f[0] == "DESCRIBE" && f[2] == "RTSP/1.0":
			sdp := "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=boxlab camera\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
			resp = fmt.Sprintf("RTSP/1.0 200 OK\r\nCSeq: %s\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", cseq, len(sdp), sdp)
		default:
			resp = fmt.Sprintf("RTSP/1.0 400 Bad Request\r\nCSeq: %s\r\n\r\n", cseq)
		}
		if _, err := c.Write([]byte(resp)); err != nil {
			return
		}
		env.Log.Info("camera.rtsp", "from", c.RemoteAddr().String(), "method", first(f))
		env.Log.Info("camera.rtsp_" + devices.Group(env.Node))
	}
}

func first(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
