// Package capture writes pcap files of a node's interface for the run's
// report: an AF_PACKET TPACKET_V3 ring (gopacket afpacket, pure Go) opened
// inside the node's namespace, written with pcapgo. It captures whole frames
// both ways; it does not filter.
package capture

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/boxlab/boxlab/sim/ns"
)

// Capture is one running capture.
type Capture struct {
	tp    *afpacket.TPacket
	f     *os.File
	done  chan struct{}
	count int
	err   error
}

// Start captures iface inside n into the pcap file path until Stop.
func Start(ctx context.Context, n *ns.NS, iface, path string) (*Capture, error) {
	var tp *afpacket.TPacket
	err := n.Do(func() error {
		var err error
		tp, err = afpacket.NewTPacket(afpacket.OptInterface(iface), afpacket.OptPollTimeout(100*time.Millisecond),
			afpacket.OptFrameSize(4096), afpacket.OptBlockSize(1<<20), afpacket.OptNumBlocks(8))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", iface, err)
	}
	f, err := os.Create(path)
	if err != nil {
		tp.Close()
		return nil, err
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		tp.Close()
		f.Close()
		return nil, err
	}
	c := &Capture{tp: tp, f: f, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for ctx.Err() == nil {
			data, ci, err := tp.ZeroCopyReadPacketData()
			if errors.Is(err, afpacket.ErrTimeout) || errors.Is(err, afpacket.ErrPoll) {
				continue
			}
			if err != nil {
				c.err = err
				return
			}
			if err := w.WritePacket(ci, data); err != nil {
				c.err = err
				return
			}
			c.count++
		}
	}()
	return c, nil
}

// Stop ends the capture (its ctx must be done) and closes the file; it returns
// how many frames were written.
func (c *Capture) Stop() (int, error) {
	<-c.done
	c.tp.Close()
	return c.count, errors.Join(c.err, c.f.Close())
}
