package igd_test

import (
	"context"
	"log/slog"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/igd"
	"github.com/boxlab/boxlab/nat"
)

// A gateway with UPnP switched off: nothing answers SSDP, and a control
// point reports "no UPnP" rather than hanging.
var _ = It("UPnP off: no SSDP answer; igd.Client.Discover fails within its wait", func() {
	l := newHome("linux", igd.Options{Off: true})
	gw := l.topo.Node("home0-gw")
	pm, _ := gw.NAT.(nat.PortMapper)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		d := &igd.Device{Options: igd.Options{Off: true}}
		done <- d.Run(ctx, &devices.Env{Node: "home0-gw", NS: gw.NS, Log: slog.New(slog.DiscardHandler), PortMapper: pm})
	}()
	DeferCleanup(func() { cancel(); Eventually(done).Should(Receive(BeNil())) })
	Expect(msearch(l, "home0-box0", "ssdp:all")).To(BeEmpty())
	c := igd.NewClient(l.topo.Node("home0-box0").NS)
	start := time.Now()
	Expect(c.Discover(context.Background(), time.Second)).NotTo(Succeed())
	Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))
})
