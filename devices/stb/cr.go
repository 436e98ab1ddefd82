package stb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"time"

	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/devices/acs/annexg"
	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/nat/stun"
)

// receive reads the CR socket: STUN responses from the STUN server and UDP
// connection requests, told apart by content (RDK-B does the same).
func (l *kaLife) receive(ctx context.Context) {
	o := &l.box.Options
	rx := &annexg.Receiver{Variant: o.Receiver}
	rx.Variant.RateLimit = time.Duration(o.RateLimit)
	buf := make([]byte, 2048)
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				l.env.Log.Info("stb.error", "during", "receive", "err", err.Error())
				continue
			}
			return
		}
		b := buf[:n]
		if bytes.HasPrefix(b, []byte("GET ")) {
			l.connectionRequest(rx, b)
			continue
		}
		from = netipUnmap(from)
		l.mu.Lock()
		server := l.stun
		l.mu.Unlock()
		if from != server {
			l.env.Log.Info("stb.cr_rejected", "reason", annexg.ReasonMalformed, "from", from.String())
			continue
		}
		m, err := stun.Parse(b)
		if err != nil {
			l.env.Log.Info("stb.error", "during", "stun parse", "err", err.Error())
			continue
		}
		l.onSTUN(m)
	}
}

func (l *kaLife) connectionRequest(rx *annexg.Receiver, b []byte) {
	rx.Username, rx.Password = l.m.get("ManagementServer.ConnectionRequestUsername"), l.m.get("ManagementServer.ConnectionRequestPassword")
	v := rx.Check(b, l.env.Clock.Now())
	if !v.OK {
		l.env.Log.Info("stb.cr_rejected", "reason", v.Reason, "id", v.CR.ID)
		return
	}
	l.env.Log.Info("stb.cr_accepted", "id", v.CR.ID)
	if strings.HasPrefix(v.CR.Cn, acs.ForgedCnonce) {
		l.env.Log.Info("stb.forged_accepted", "id", v.CR.ID)
	}
	l.mu.Lock()
	l.crPending = true
	l.mu.Unlock()
	l.kick()
}

// kick wakes the session loop.
func (l *kaLife) kick() {
	select {
	case l.trigger <- struct{}{}:
	default:
	}
}

// sessions opens a CWMP session whenever there is something to report: an
// accepted connection request, a changed address, a finished transfer.
func (l *kaLife) sessions(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.trigger:
		}
		l.mu.Lock()
		var events []cwmp.Event
		if l.crPending {
			events = append(events, cwmp.Event{Code: cwmp.EventConnectionRequest})
		}
		if l.changed {
			events = append(events, cwmp.Event{Code: cwmp.EventValueChange})
		}
		tc := l.transfer
		if tc != nil {
			events = append(events, cwmp.Event{Code: cwmp.EventTransferComplete}, cwmp.Event{Code: cwmp.EventMDownload, CommandKey: tc.CommandKey})
		}
		l.crPending, l.changed, l.transfer = false, false, nil
		l.mu.Unlock()
		if len(events) == 0 {
			continue
		}
		var extra cwmp.Message
		if tc != nil {
			extra = tc
		}
		res, err := l.session(ctx, events, extra)
		if err != nil {
			if ctx.Err() == nil {
				l.env.Log.Info("stb.error", "during", "session", "err", err.Error())
			}
			continue // the ACS retries its connection request
		}
		l.after(ctx, res)
	}
}

// sessionResult is what a session left to do.
type sessionResult struct {
	reboot   bool
	download *cwmp.Download
}

// after carries out what the ACS asked for once the session has ended.
func (l *kaLife) after(ctx context.Context, res sessionResult) {
	if d := res.download; d != nil {
		l.wg.Add(1)
		go func() { defer l.wg.Done(); l.download(ctx, *d) }()
	}
	if res.reboot {
		l.cancel(errReboot)
	}
}

// maxRPCs bounds the RPCs of one session.
const maxRPCs = 32

// session runs one CWMP session: Inform, the box's own request if any,
// then empty POST / RPC / response until the ACS answers 204.
func (l *kaLife) session(ctx context.Context, events []cwmp.Event, extra cwmp.Message) (sessionResult, error) {
	var res sessionResult
	// A CWMP session ends its TCP connection (TR-069 §3.2.2): no idle
	// connection outlives it (nor a WAN address change).
	defer l.client.CloseIdleConnections()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Timeout: 10 * time.Second, Jar: jar, Transport: l.client}
	l.m.set("DeviceInfo.UpTime", strconv.Itoa(int((l.env.Clock.Now() - l.boot).Seconds())))
	wall := l.env.Clock.Start().Add(l.env.Clock.Now())
	inform := &cwmp.Inform{DeviceID: cwmp.DeviceID{Manufacturer: l.m.get("DeviceInfo.Manufacturer"), OUI: l.m.get("DeviceInfo.ManufacturerOUI"),
		ProductClass: l.m.get("DeviceInfo.ProductClass"), SerialNumber: l.env.Node},
		Events: events, MaxEnvelopes: 1, CurrentTime: wall.UTC().Format(time.RFC3339), Params: l.m.inform()}
	codes := make([]string, len(events))
	for i, e := range events {
		codes[i] = e.Code
	}
	l.env.Log.Info("stb.session", "events", strings.Join(codes, ","))
	env, err := l.exchange(ctx, c, l.request(inform))
	if err != nil {
		return res, fmt.Errorf("inform: %w", err)
	}
	if env == nil || env.Body.Method() != "InformResponse" {
		return res, fmt.Errorf("inform: want InformResponse; got %s", method(env))
	}
	if extra != nil {
		env, err := l.exchange(ctx, c, l.request(extra))
		if err != nil {
			return res, fmt.Errorf("%s: %w", extra.Method(), err)
		}
		if env == nil || env.Body.Method() != extra.Method()+"Response" {
			return res, fmt.Errorf("%s: got %s", extra.Method(), method(env))
		}
	}
	var out *cwmp.Envelope // the empty POST first
	for range maxRPCs {
		env, err := l.exchange(ctx, c, out)
		if err != nil {
			return res, err
		}
		if env == nil {
			return res, nil // 204: the session is over
		}
		out = &cwmp.Envelope{NS: env.NS, ID: env.ID, Body: l.rpc(env.Body, &res)}
	}
	return res, fmt.Errorf("more than %d RPCs in one session", maxRPCs)
}

func method(env *cwmp.Envelope) string {
	if env == nil {
		return "no content"
	}
	return env.Body.Method()
}

func (l *kaLife) request(m cwmp.Message) *cwmp.Envelope {
	l.rpcSeq++
	return &cwmp.Envelope{NS: cwmp.NS10, ID: fmt.Sprintf("%s-%d", l.env.Node, l.rpcSeq), Body: m}
}

// exchange POSTs env (nil: an empty POST) and returns the ACS's envelope,
// nil on 204 or an empty 200. It answers one 401 challenge per POST with
// the box's credentials (the strongest scheme offered); later POSTs carry
// them at once until the ACS challenges again (a stale Digest nonce).
func (l *kaLife) exchange(ctx context.Context, c *http.Client, env *cwmp.Envelope) (*cwmp.Envelope, error) {
	var body []byte
	if env != nil {
		body = cwmp.Encode(env)
	}
	for try := 0; ; try++ {
		status, hdr, b, err := l.post(ctx, c, env != nil, body)
		if err != nil {
			return nil, err
		}
		switch {
		case status == http.StatusUnauthorized && try == 0:
			scheme, err := l.auth.Learn(hdr.Values("WWW-Authenticate"))
			if err != nil {
				l.env.Log.Info("stb.auth_refused", "status", status, "err", err.Error())
				return nil, fmt.Errorf("ACS challenge: %w", err)
			}
			l.env.Log.Info("stb.auth_challenged", "scheme", string(scheme))
			continue
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			l.env.Log.Info("stb.auth_refused", "status", status)
			return nil, fmt.Errorf("ACS refused the credentials of %q: %d", l.auth.Username, status)
		case status == http.StatusNoContent, status == http.StatusOK && len(bytes.TrimSpace(b)) == 0:
			return nil, nil
		case status != http.StatusOK:
			return nil, fmt.Errorf("ACS answered %d", status)
		}
		return cwmp.Parse(b)
	}
}

// post sends one CWMP POST, with credentials once a challenge was learnt.
func (l *kaLife) post(ctx context.Context, c *http.Client, soap bool, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.acsURL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	if soap {
		req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
		req.Header.Set("SOAPAction", `""`)
	}
	if a, ok := l.auth.Authorization(http.MethodPost, req.URL.RequestURI()); ok {
		req.Header.Set("Authorization", a)
	}
	resp, err := c.Do(req)
	if err != nil {
		l.tlsRefused(err)
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, cwmp.MaxEnvelope+1))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, b, nil
}

// rpc runs one ACS request and returns the response or fault.
func (l *kaLife) rpc(m cwmp.Message, res *sessionResult) cwmp.Message {
	l.env.Log.Info("stb.rpc", "method", m.Method())
	switch m := m.(type) {
	case *cwmp.GetParameterValues:
		l.m.set("DeviceInfo.UpTime", strconv.Itoa(int((l.env.Clock.Now() - l.boot).Seconds())))
		ps, fault := l.m.getValues(m.Names)
		if fault != nil {
			return fault
		}
		return &cwmp.GetParameterValuesResponse{Params: ps}
	case *cwmp.SetParameterValues:
		if fault := l.m.setValues(m.Params, m.ParameterKey); fault != nil {
			return fault
		}
		l.env.Log.Info("stb.params_set", "key", m.ParameterKey, "count", len(m.Params))
		return &cwmp.SetParameterValuesResponse{Status: 0}
	case *cwmp.Reboot:
		res.reboot = true
		l.box.rebootKey = m.CommandKey
		return &cwmp.RebootResponse{}
	case *cwmp.Download:
		if !strings.HasPrefix(m.URL, "http://") && !(strings.HasPrefix(m.URL, "https://") && l.box.Options.ACSScheme == "https") {
			return cwmp.NewFault(cwmp.FaultUnsupportedProtocol)
		}
		res.download = m
		return &cwmp.DownloadResponse{Status: 1}
	case *cwmp.GetRPCMethods:
		return &cwmp.GetRPCMethodsResponse{Methods: []string{"GetRPCMethods", "GetParameterValues", "SetParameterValues", "Reboot", "Download"}}
	}
	return cwmp.NewFault(cwmp.FaultMethodNotSupported)
}

// download really fetches the file over HTTP through the NAT, then reports
// TransferComplete in a "7 TRANSFER COMPLETE" session.
func (l *kaLife) download(ctx context.Context, d cwmp.Download) {
	start := l.env.Clock.Start().Add(l.env.Clock.Now()).UTC().Format(time.RFC3339)
	fault := cwmp.FaultStruct{}
	n, err := l.fetch(ctx, d.URL)
	switch {
	case ctx.Err() != nil:
		return
	case err != nil:
		fault = cwmp.FaultStruct{FaultCode: cwmp.FaultContactServer, FaultString: cwmp.FaultString(cwmp.FaultContactServer)}
	case d.FileSize > 0 && n != d.FileSize:
		fault = cwmp.FaultStruct{FaultCode: cwmp.FaultCompleteDownload, FaultString: cwmp.FaultString(cwmp.FaultCompleteDownload)}
	}
	l.env.Log.Info("stb.download", "bytes", float64(n), "fault", fault.FaultCode)
	end := l.env.Clock.Start().Add(l.env.Clock.Now()).UTC().Format(time.RFC3339)
	l.mu.Lock()
	l.transfer = &cwmp.TransferComplete{CommandKey: d.CommandKey, Fault: fault, StartTime: start, CompleteTime: end}
	l.mu.Unlock()
	l.kick()
}

func (l *kaLife) fetch(ctx context.Context, url string) (int64, error) {
	c := &http.Client{Timeout: 30 * time.Second, Transport: l.client}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<20))
}
