package devices

import (
	"sync"
	"testing"
)

func TestTruthConcurrentAdd(t *testing.T) {
	tr := NewTruth()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				tr.Add("a", i*100+j)
			}
		}()
	}
	wg.Wait()
	if n := len(tr.All("a")); n != 800 {
		t.Fatalf("All(a) has %d facts; want 800", n)
	}
	if len(tr.All("b")) != 0 {
		t.Fatal("an unused topic has facts")
	}
	got := tr.All("a")
	got[0] = "changed"
	if tr.All("a")[0] == "changed" {
		t.Fatal("All returned the board's own slice")
	}
}
