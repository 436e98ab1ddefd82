package stb

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices/httpauth/digest"
	"github.com/boxlab/boxlab/devices/ratings"
)

// reporter sends LogReports in order, one at a time, each until it is
// acknowledged: a 401 is answered with Digest credentials, a network error
// or 5xx is retried with exponential backoff (simulated 1s to 16s).
type reporter struct {
	r      *viewerRun
	client *digest.Client
	queue  chan ratings.LogReport

	mu       sync.Mutex
	pending  int
	drained  chan struct{} // closed and replaced whenever pending drops to 0
	lastAuth string        // the last Authorization header the server accepted
}

func newReporter(r *viewerRun, password string) *reporter {
	d := make(chan struct{})
	close(d)
	return &reporter{r: r, client: &digest.Client{Username: r.user, Password: password},
		queue: make(chan ratings.LogReport, 1024), drained: d}
}

func (p *reporter) enqueue(rep ratings.LogReport) {
	p.mu.Lock()
	if p.pending == 0 {
		p.drained = make(chan struct{})
	}
	p.pending++
	p.mu.Unlock()
	p.queue <- rep
}

// wait returns when every queued report was sent or ctx ends.
func (p *reporter) wait(ctx context.Context) {
	p.mu.Lock()
	d := p.drained
	p.mu.Unlock()
	select {
	case <-d:
	case <-ctx.Done():
	}
}

func (p *reporter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case rep := <-p.queue:
			p.send(ctx, rep)
			p.mu.Lock()
			if p.pending--; p.pending == 0 {
				close(p.drained)
			}
			p.mu.Unlock()
		}
	}
}

func (p *reporter) send(ctx context.Context, rep ratings.LogReport) {
	env := p.r.env
	body := rep.Marshal()
	backoff, challenges := time.Second, 0
	for ctx.Err() == nil {
		auth, _ := p.client.Authorization(http.MethodPost, "/report")
		status, hdr, err := p.r.post(ctx, auth, body)
		switch {
		case err != nil || status >= 500:
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			env.Log.Info("stb.report_retry", "type", string(rep.MessageType), "status", status, "err", msg)
			env.Clock.Sleep(ctx, backoff)
			backoff = min(2*backoff, 16*time.Second)
		case status == http.StatusUnauthorized:
			if _, err := p.client.Learn(hdr.Values("WWW-Authenticate")); err != nil {
				env.Log.Info("stb.report_rejected", "type", string(rep.MessageType), "status", status, "err", err.Error())
				return
			}
			if challenges++; challenges > 3 {
				env.Clock.Sleep(ctx, backoff)
				backoff = min(2*backoff, 16*time.Second)
			}
		case status/100 == 2:
			p.mu.Lock()
			p.lastAuth = auth
			p.mu.Unlock()
			env.Log.Info("stb.report_ok", "type", string(rep.MessageType), "session", rep.ChannelStat)
			return
		default:
			env.Log.Info("stb.report_rejected", "type", string(rep.MessageType), "status", status, "session", rep.ChannelStat)
			return
		}
	}
}

// post sends one LogReport body with an Authorization header (if any).
func (r *viewerRun) post(ctx context.Context, auth string, body []byte) (int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/report", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, resp.Header, nil
}
