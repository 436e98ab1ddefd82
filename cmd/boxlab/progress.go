package main

import (
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// bars draws one progress bar per run phase on a terminal.
type bars struct {
	w   io.Writer
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func newBars(w io.Writer) *bars { return &bars{w: w} }

func (b *bars) Phase(name string, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if total <= 0 {
		total = -1 // spinner
	}
	b.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(b.w), progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100e6),
		progressbar.OptionClearOnFinish())
}

func (b *bars) Step(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.Add(n)
	}
}

func (b *bars) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.Finish()
		b.bar = nil
	}
}
