package ratings_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	blab "github.com/boxlab/boxlab/conformance/lab"
	"github.com/boxlab/boxlab/devices/httpauth/digest"
	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/devices/ratings/audience"
	"github.com/boxlab/boxlab/sim/topology"
)

// prober talks to a ratings server under test from behind a home's NAT.
type prober struct {
	topo *topology.Topology
	srv  netip.Addr
	hc   *http.Client
}

func newProber(topo *topology.Topology, srv netip.Addr) *prober {
	ns := topo.Node("home0-box0").NS
	return &prober{topo: topo, srv: srv, hc: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext:       func(ctx context.Context, n, a string) (net.Conn, error) { return ns.DialContext(ctx, n, a) },
		DisableKeepAlives: true,
	}}}
}

// answer is what the server said to one request.
type answer struct {
	status int
	chals  []string // WWW-Authenticate values
	body   string
}

func (p *prober) post(auth string, body []byte) answer {
	GinkgoHelper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s:8080/report", p.srv), bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "text/xml")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := p.hc.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return answer{status: resp.StatusCode, chals: resp.Header.Values("WWW-Authenticate"), body: strings.TrimSpace(string(b))}
}

// challenges returns the server's Digest challenges (a POST without credentials).
func (p *prober) challenges() []digest.Challenge {
	GinkgoHelper()
	a := p.post("", []byte("<LogReport/>"))
	Expect(a.status).To(Equal(http.StatusUnauthorized), "a request without credentials: %s", a.body)
	var out []digest.Challenge
	for _, h := range a.chals {
		if c, err := digest.ParseChallenge(h); err == nil {
			out = append(out, c)
		}
	}
	Expect(out).NotTo(BeEmpty(), "no usable Digest challenge (qop=auth, realm, nonce) in %q", a.chals)
	return out
}

// pick returns the challenge of algorithm alg.
func pick(chals []digest.Challenge, alg digest.Algorithm) digest.Challenge {
	GinkgoHelper()
	for _, c := range chals {
		if c.Algorithm == alg {
			return c
		}
	}
	Fail(fmt.Sprintf("no %s challenge among %v", alg, chals))
	return digest.Challenge{}
}

func (p *prober) viewings() []audience.Viewing {
	GinkgoHelper()
	resp, err := p.hc.Get(fmt.Sprintf("http://%s:8080/viewings", p.srv))
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	vs, err := ratings.ParseViewings(b)
	Expect(err).NotTo(HaveOccurred(), "GET /viewings: %s", b)
	return vs
}

// stored counts the server's records of session.
func (p *prober) stored(session string) int {
	GinkgoHelper()
	n := 0
	for _, v := range p.viewings() {
		if v.Session == session {
			n++
		}
	}
	return n
}

// login watches a channel as user and returns a LogInInfo for the session.
func (p *prober) login(user string) (ratings.LogReport, []byte) {
	GinkgoHelper()
	session, program := watch(p.topo, p.srv, user)
	r := ratings.LogReport{MessageType: ratings.LogIn, UserID: user, ServiceID: "01", ProgramID: program,
		OnlineState: "online", IMSI: "001010000000001", ChannelStat: session}
	return r, r.Marshal()
}

func pass(user string) string { return ratings.DerivePassword(secret, user) }

const reportURI = "/report"

func auth(ch digest.Challenge, user, password, nc string) string {
	return digest.Authorize(ch, user, password, http.MethodPost, reportURI, nc, "0a4f113b"+nc)
}

// The rules a ratings server under test is checked against, one spec each:
// the JUnit report (and the table printed at the end) says which it follows.
var _ = Describe("A ratings server under test (exec node; "+EnvServerUnderTest+")", Ordered, ContinueOnFailure, func() {
	var p *prober
	report := &blab.RuleReport{Title: fmt.Sprintf("ratings server under test (%s), per rule:", serverName())}

	BeforeAll(func() {
		topo, srv := execLab()
		p = newProber(topo, srv)
		Eventually(func() error {
			_, err := p.hc.Get(fmt.Sprintf("http://%s:8080/guide", srv))
			return err
		}, 15*time.Second, 200*time.Millisecond).Should(Succeed(), "the server under test never answered GET /guide")
	})
	ReportAfterEach(func(r SpecReport) { report.Add(r) })

	report.Rule("RFC 7616 §3.3: a report without credentials gets 401 with Digest challenges (qop=auth, realm, nonce, opaque)", func() {
		for _, c := range p.challenges() {
			Expect(c.Qop).To(Equal("auth"))
			Expect(c.Opaque).NotTo(BeEmpty(), "opaque")
		}
	})

	report.Rule("RFC 7616 §3.4: SHA-256 Digest authenticates a LogInInfo, which is stored", func() {
		r, body := p.login("probe-sha")
		ch := pick(p.challenges(), digest.SHA256)
		a := p.post(auth(ch, r.UserID, pass(r.UserID), "00000001"), body)
		Expect(a.status).To(Equal(http.StatusOK), a.body)
		Expect(p.stored(r.ChannelStat)).To(Equal(1))
	})

	report.Rule("RFC 2617 (RFC 7616 §3.4, MD5): MD5 Digest authenticates a LogInInfo", func() {
		r, body := p.login("probe-md5")
		ch := pick(p.challenges(), digest.MD5)
		a := p.post(auth(ch, r.UserID, pass(r.UserID), "00000001"), body)
		Expect(a.status).To(Equal(http.StatusOK), a.body)
		Expect(p.stored(r.ChannelStat)).To(Equal(1))
	})

	report.Rule("RFC 7616 §3.4: a wrong password is refused with 401 and nothing is stored", func() {
		r, body := p.login("probe-wrong")
		ch := p.challenges()[0]
		Expect(p.post(auth(ch, r.UserID, "not-the-password", "00000001"), body).status).To(Equal(http.StatusUnauthorized))
		Expect(p.stored(r.ChannelStat)).To(BeZero())
	})

	report.Rule("RFC 7616 §5.10 (replay): a request repeated with the same nonce and nc is refused with 401", func() {
		r, body := p.login("probe-replay")
		ch := p.challenges()[0]
		h := auth(ch, r.UserID, pass(r.UserID), "00000001")
		Expect(p.post(h, body).status).To(Equal(http.StatusOK))
		Expect(p.post(h, body).status).To(Equal(http.StatusUnauthorized), "the same nc twice")
	})

	report.Rule("RFC 7616 §3.3 (stale): an expired nonce gets 401 with stale=true, and the new nonce works", func() {
		wait := 3 * time.Second
		if v := os.Getenv(EnvStaleAfter); v != "" {
			d, err := time.ParseDuration(v)
			Expect(err).NotTo(HaveOccurred(), EnvStaleAfter)
			wait = d
		}
		r, body := p.login("probe-stale")
		ch := p.challenges()[0]
		time.Sleep(wait)
		a := p.post(auth(ch, r.UserID, pass(r.UserID), "00000001"), body)
		Expect(a.status).To(Equal(http.StatusUnauthorized), "a nonce %v old", wait)
		var fresh []digest.Challenge
		for _, h := range a.chals {
			if c, err := digest.ParseChallenge(h); err == nil && c.Stale {
				fresh = append(fresh, c)
			}
		}
		Expect(fresh).NotTo(BeEmpty(), "no challenge with stale=true in %q", a.chals)
		Expect(p.post(auth(fresh[0], r.UserID, pass(r.UserID), "00000001"), body).status).To(Equal(http.StatusOK))
	})

	report.Rule("seed 004: malformed XML is refused with 400 and nothing is stored", func() {
		r, body := p.login("probe-badxml")
		ch := p.challenges()[0]
		bad := bytes.Replace(body, []byte("</LogReport>"), nil, 1)
		Expect(p.post(auth(ch, r.UserID, pass(r.UserID), "00000001"), bad).status).To(Equal(http.StatusBadRequest))
		wrongType := bytes.Replace(body, []byte(`"LogInInfo"`), []byte(`"LogSideways"`), 1)
		Expect(p.post(auth(ch, r.UserID, pass(r.UserID), "00000002"), wrongType).status).To(Equal(http.StatusBadRequest))
		Expect(p.stored(r.ChannelStat)).To(BeZero())
	})

	report.Rule("bad input: an XML entity bomb (DTD) is refused with 400", func() {
		r, _ := p.login("probe-bomb")
		ch := p.challenges()[0]
		bomb := `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">` +
			`<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><LogReport><Message_Type Message_Type_Type="&c;"/></LogReport>`
		Expect(p.post(auth(ch, r.UserID, pass(r.UserID), "00000001"), []byte(bomb)).status).To(Equal(http.StatusBadRequest))
		Expect(p.stored(r.ChannelStat)).To(BeZero())
	})

	report.Rule("bad input: an oversized body (1 MiB) is refused with 413 or 400", func() {
		r, _ := p.login("probe-big")
		ch := p.challenges()[0]
		big := append([]byte("<LogReport>"), bytes.Repeat([]byte("<x/>"), 1<<18)...)
		Expect(p.post(auth(ch, r.UserID, pass(r.UserID), "00000001"), big).status).To(BeElementOf(http.StatusRequestEntityTooLarge, http.StatusBadRequest))
		Expect(p.stored(r.ChannelStat)).To(BeZero())
	})

	report.Rule("seed 004: a retried LogInInfo is acknowledged and stored once (idempotent)", func() {
		r, body := p.login("probe-retry")
		ch := p.challenges()[0]
		for nc := 1; nc <= 3; nc++ {
			Expect(p.post(auth(ch, r.UserID, pass(r.UserID), fmt.Sprintf("%08x", nc)), body).status).To(Equal(http.StatusOK), "try %d", nc)
		}
		Expect(p.stored(r.ChannelStat)).To(Equal(1))
	})

	report.Rule("seed 004: a report whose User_ID is not the authenticated user is refused and not stored", func() {
		r, body := p.login("probe-victim")
		ch := p.challenges()[0]
		a := p.post(auth(ch, "probe-forger", pass("probe-forger"), "00000001"), body)
		Expect(a.status).To(BeNumerically(">=", 400), a.body)
		Expect(p.stored(r.ChannelStat)).To(BeZero())
	})
})

func serverName() string {
	if vendor(EnvServerUnderTest) {
		return os.Getenv(EnvServerUnderTest)
	}
	return "boxlab device ratings-server"
}
