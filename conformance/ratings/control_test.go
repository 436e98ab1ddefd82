package ratings_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices/ratings"
	"github.com/boxlab/boxlab/sim/scenario"
	"github.com/boxlab/boxlab/sim/topology"
)

// control dials the server's control channel from behind the home's NAT.
func control(topo *topology.Topology, srv netip.Addr) (net.Conn, *bufio.Reader) {
	GinkgoHelper()
	var c net.Conn
	Eventually(func() error {
		var err error
		c, err = topo.Node("home0-box0").NS.DialContext(context.Background(), "tcp4", netip.AddrPortFrom(srv, 8555).String())
		return err
	}, 5*time.Second, 100*time.Millisecond).Should(Succeed())
	DeferCleanup(func() { c.Close() }) // a spec may close it first
	return c, bufio.NewReader(c)
}

func readControl(c net.Conn, r *bufio.Reader) ratings.ControlLine {
	GinkgoHelper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := r.ReadString('\n')
	Expect(err).NotTo(HaveOccurred())
	l, err := ratings.ParseControlLine(strings.TrimSuffix(line, "\n"))
	Expect(err).NotTo(HaveOccurred())
	return l
}

var _ = Describe("The control channel through the NAT (seed 004 §1, §7)", func() {
	It("seed 004 §7 method B: an online terminal behind a NAT is polled over the connection it opened; a wrong proof is refused", func() {
		topo, srv := lab(func(o *ratings.ServerOptions) { o.Poll = scenario.Duration(500 * time.Millisecond) })

		c, r := control(topo, srv)
		ch := readControl(c, r)
		Expect(ch.Verb).To(Equal("CHALLENGE"))
		fmt.Fprintf(c, "HELLO alice %s\n", ratings.ControlProof("guess", ch.Nonce))
		Expect(readControl(c, r).Verb).To(Equal("ERR"), "a proof made with the wrong password")

		c, r = control(topo, srv)
		ch = readControl(c, r)
		fmt.Fprintf(c, "HELLO alice %s\n", ratings.ControlProof("wonderland", ch.Nonce))
		Expect(readControl(c, r).Verb).To(Equal("WELCOME"))
		subs := readControl(c, r)
		Expect(subs.Verb).To(Equal("SUBS"), "seed 004 §1 C: subscriptions synced when the terminal comes online")
		Expect(subs.Subs).To(BeEmpty())

		fmt.Fprintf(c, "SUB 03\n")
		var poll ratings.ControlLine
		var synced []string
		for poll.Verb == "" || synced == nil {
			switch l := readControl(c, r); l.Verb {
			case "SUBS":
				synced = l.Subs
			case "POLL":
				poll = l
			}
		}
		Expect(synced).To(Equal([]string{"03"}), "seed 004 §1 B: the server's list after the terminal subscribed")
		fmt.Fprint(c, ratings.PollAnswer{}.Line(poll.Poll))
	})

	It("the ratings page is one self-contained HTML document and the JSON API answers (curl)", func() {
		if _, err := exec.LookPath("curl"); err != nil {
			Skip("curl is not installed")
		}
		topo, srv := lab()
		session, _ := watch(topo, srv, "alice")
		Expect(session).NotTo(BeEmpty())
		get := func(path string) string {
			cmd := exec.Command("curl", "-s", "--max-time", "5", fmt.Sprintf("http://%s:8080%s", srv, path))
			var out strings.Builder
			cmd.Stdout = &out
			Expect(topo.Node("home0-box0").NS.Start(cmd)).To(Succeed())
			Expect(cmd.Wait()).To(Succeed())
			return out.String()
		}
		page := get("/ratings.html")
		Expect(page).To(HavePrefix("<!DOCTYPE html>"))
		Expect(page).To(ContainSubstring(`<svg id="channel-chart"`))
		Expect(page).To(ContainSubstring(`<table id="channels">`))
		Expect(page).NotTo(ContainSubstring("<script"))
		Expect(page).NotTo(ContainSubstring("src="))
		var rep struct {
			Viewings int                       `json:"viewings"`
			Channels map[string]map[string]any `json:"channels"`
		}
		Expect(json.Unmarshal([]byte(get("/ratings")), &rep)).To(Succeed())
		var g ratings.Guide
		Expect(json.Unmarshal([]byte(get("/guide")), &g)).To(Succeed())
		Expect(g.ControlPort).To(Equal(8555))
		Expect(g.Channels).To(HaveLen(8))
	})
})
