package devices

import "sync"

// Truth is a run-wide, concurrency-safe board of ground truth: simulated
// devices post facts under a topic (e.g. one record per viewing under
// "ratings/<server>") and a device that computes the same facts from the
// network (a server) reads them back to compare. Facts are values, copied
// out by All; the board never interprets them.
type Truth struct {
	mu     sync.Mutex
	topics map[string][]any
}

// NewTruth returns an empty board.
func NewTruth() *Truth { return &Truth{topics: map[string][]any{}} }

// Add posts a fact under topic.
func (t *Truth) Add(topic string, fact any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.topics[topic] = append(t.topics[topic], fact)
}

// All returns the facts posted under topic, in posting order.
func (t *Truth) All(topic string) []any {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]any(nil), t.topics[topic]...)
}
