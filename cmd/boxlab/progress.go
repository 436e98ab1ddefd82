package main

import (
	"io"
	"log/slog"
	"sync"
	"time"

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

// lines reports phases as plain log lines when stderr is not a terminal: a
// line at the start, every 10% of a phase and at the end.
type lines struct {
	log   *slog.Logger
	mu    sync.Mutex
	name  string
	total int
	done  int
	next  int
	start time.Time
}

func newLines(log *slog.Logger) *lines { return &lines{log: log} }

func (l *lines) Phase(name string, total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.name, l.total, l.done, l.start = name, total, 0, time.Now()
	l.next = max(1, total/10)
	l.log.Info("progress", "phase", name, "done", 0, "total", total)
}

func (l *lines) Step(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done += n
	if l.total >= 50 && l.done >= l.next && l.done < l.total {
		l.log.Info("progress", "phase", l.name, "done", l.done, "total", l.total)
		l.next += max(1, l.total/10)
	}
}

func (l *lines) Done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log.Info("progress", "phase", l.name, "done", l.done, "total", l.total, "took", time.Since(l.start).Round(time.Millisecond))
}
