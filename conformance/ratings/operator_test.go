package ratings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices/httpauth/digest"
	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/sim/topology"
)

// syncBuffer is a journal the server writes while a spec reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// count counts the journal lines of event msg.
func (s *syncBuffer) count(msg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), `"msg":"`+msg+`"`)
}

// operatorClient calls the operator API from the home's namespace with
// HTTP Digest as user operator.
type operatorClient struct {
	hc       *http.Client
	base     string
	password string
}

func newOperator(topo *topology.Topology, srv netip.Addr, password string) *operatorClient {
	ns := topo.Node("home0-box0").NS
	return &operatorClient{base: fmt.Sprintf("http://%s:8080", srv), password: password, hc: &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true,
			DialContext: func(ctx context.Context, n, a string) (net.Conn, error) { return ns.DialContext(ctx, n, a) }}}}
}

// do sends method path, answering the Digest challenge; it returns the
// status and the decoded answer.
func (o *operatorClient) do(method, path string) (int, ratings.Subscriptions) {
	GinkgoHelper()
	send := func(auth string) *http.Response {
		req, err := http.NewRequest(method, o.base+path, nil)
		Expect(err).NotTo(HaveOccurred())
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := o.hc.Do(req)
		Expect(err).NotTo(HaveOccurred())
		return resp
	}
	resp := send("")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), "the operator API without credentials")
	c := &digest.Client{Username: ratings.OperatorUser, Password: o.password}
	_, err := c.Learn(resp.Header.Values("WWW-Authenticate"))
	Expect(err).NotTo(HaveOccurred())
	auth, _ := c.Authorization(method, path)
	resp = send(auth)
	defer resp.Body.Close()
	var subs ratings.Subscriptions
	if resp.StatusCode == http.StatusOK {
		Expect(json.NewDecoder(resp.Body).Decode(&subs)).To(Succeed())
	}
	return resp.StatusCode, subs
}

// online brings alice online on the control channel and reads the SUBS
// that follows WELCOME.
func online(topo *topology.Topology, srv netip.Addr) (net.Conn, func() ratings.ControlLine) {
	GinkgoHelper()
	c, r := control(topo, srv)
	ch := readControl(c, r)
	fmt.Fprintf(c, "HELLO alice %s\n", ratings.ControlProof("wonderland", ch.Nonce))
	Expect(readControl(c, r).Verb).To(Equal("WELCOME"))
	Expect(readControl(c, r).Verb).To(Equal("SUBS"))
	return c, func() ratings.ControlLine { return readControl(c, r) }
}

var _ = Describe("Subscriptions from the operator's side (seed 004 §1)", func() {
	It("seed 004 §1: the operator subscribes and unsubscribes a user over the operator API; the online terminal gets the list at once, and the terminal's own changes show to the operator", func() {
		topo, srv := lab(func(o *ratings.ServerOptions) { o.OperatorPassword = "backoffice" })
		op := newOperator(topo, srv, "backoffice")
		c, next := online(topo, srv)

		status, subs := op.do(http.MethodPut, "/subscriptions/alice/05")
		Expect(status).To(Equal(http.StatusOK))
		Expect(subs).To(Equal(ratings.Subscriptions{User: "alice", Subscriptions: []string{"05"}, Online: true}))
		l := next()
		Expect(l.Verb).To(Equal("SUBS"))
		Expect(l.ByOp).To(BeTrue(), "the push says the operator changed it")
		Expect(l.Subs).To(Equal([]string{"05"}))

		By("the terminal's own change reaches the operator")
		fmt.Fprintf(c, "SUB 02\n")
		Expect(next().Subs).To(Equal([]string{"02", "05"}))
		_, subs = op.do(http.MethodGet, "/subscriptions/alice")
		Expect(subs.Subscriptions).To(Equal([]string{"02", "05"}))

		By("the operator unsubscribes; an unknown service and a wrong password change nothing")
		status, subs = op.do(http.MethodDelete, "/subscriptions/alice/02")
		Expect(status).To(Equal(http.StatusOK))
		Expect(subs.Subscriptions).To(Equal([]string{"05"}))
		Expect(next().Subs).To(Equal([]string{"05"}))
		status, _ = op.do(http.MethodPut, "/subscriptions/alice/77")
		Expect(status).To(Equal(http.StatusNotFound))
		status, _ = newOperator(topo, srv, "guess").do(http.MethodPut, "/subscriptions/alice/03")
		Expect(status).To(Equal(http.StatusUnauthorized))
		_, subs = op.do(http.MethodGet, "/subscriptions/alice")
		Expect(subs.Subscriptions).To(Equal([]string{"05"}))

		By("an offline user's change is synced when the terminal next comes online")
		c.Close()
		Eventually(func() bool { _, s := op.do(http.MethodGet, "/subscriptions/alice"); return s.Online }, 5*time.Second).Should(BeFalse())
		status, subs = op.do(http.MethodPut, "/subscriptions/alice/01")
		Expect(status).To(Equal(http.StatusOK))
		Expect(subs.Online).To(BeFalse())
		c2, r2 := control(topo, srv)
		ch := readControl(c2, r2)
		fmt.Fprintf(c2, "HELLO alice %s\n", ratings.ControlProof("wonderland", ch.Nonce))
		Expect(readControl(c2, r2).Verb).To(Equal("WELCOME"))
		Expect(readControl(c2, r2).Subs).To(Equal([]string{"01", "05"}))
	})
})

var _ = Describe("The control channel's rate limit", func() {
	It("a flooding terminal's lines past the budget are dropped unread, counted and logged, and the channel is closed; lines within it work", func() {
		journal := &syncBuffer{}
		topo, srv := labLogged(journal, func(o *ratings.ServerOptions) { o.ControlBurst, o.ControlRate = 5, 0.01 })
		c, next := online(topo, srv)
		fmt.Fprintf(c, "SUB 03\n")
		Expect(next().Subs).To(Equal([]string{"03"}), "a line within the budget is acted on")

		// A flood: 4 more lines fit the bucket, the rest are dropped (no
		// SUBS echo for them); past 10 bursts of drops the channel closes.
		var flood strings.Builder
		for range 100 {
			flood.WriteString("SUB 04\n")
		}
		_, err := io.WriteString(c, flood.String())
		Expect(err).NotTo(HaveOccurred())
		echoes := 0
		var last ratings.ControlLine
		for {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			l := next()
			if l.Verb != "SUBS" {
				last = l
				break
			}
			echoes++
		}
		Expect(last.Verb).To(Equal("ERR"))
		Expect(last.Err).To(ContainSubstring("rate limit"))
		Expect(echoes).To(Equal(4), "only the lines within the budget were acted on")
		Eventually(func() int { return journal.count("ratings.control_limited") }, 5*time.Second).Should(Equal(1), "one flood, one episode logged")
		Expect(journal.count("ratings.control_rejected")).To(Equal(1))
		Eventually(func() string { journal.mu.Lock(); defer journal.mu.Unlock(); return journal.b.String() }, 5*time.Second).
			Should(MatchRegexp(`"msg":"ratings.offline","user":"alice","dropped":50`), "the drops are counted")
	})
})
