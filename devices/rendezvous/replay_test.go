package rendezvous

import "testing"

func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []uint64
		want []Verdict
	}{
		{"in order", []uint64{1, 2, 3}, []Verdict{Fresh, Fresh, Fresh}},
		{"seq 0 never", []uint64{0}, []Verdict{TooOld}},
		{"a replay of the last", []uint64{1, 2, 2}, []Verdict{Fresh, Fresh, Replay}},
		{"reordered inside the window, once", []uint64{5, 3, 4, 3}, []Verdict{Fresh, Fresh, Fresh, Replay}},
		{"gap then the late ones", []uint64{1, 64, 2, 63, 2}, []Verdict{Fresh, Fresh, Fresh, Fresh, Replay}},
		{"just inside the window", []uint64{100, 100 - WindowSize + 1}, []Verdict{Fresh, Fresh}},
		{"reordered beyond the window", []uint64{100, 100 - WindowSize}, []Verdict{Fresh, TooOld}},
		{"a jump clears the bitmap", []uint64{1, 2, 1000, 999, 2}, []Verdict{Fresh, Fresh, Fresh, Fresh, TooOld}},
		{"replay after a shift", []uint64{10, 11, 10, 75, 74, 75}, []Verdict{Fresh, Fresh, Replay, Fresh, Fresh, Replay}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w Window
			for i, s := range tc.seqs {
				if c := w.Check(s); c != tc.want[i] {
					t.Fatalf("Check(%d) at step %d = %v, want %v", s, i, c, tc.want[i])
				}
				if got := w.Accept(s); got != tc.want[i] {
					t.Fatalf("Accept(%d) at step %d = %v, want %v", s, i, got, tc.want[i])
				}
			}
		})
	}
}

func TestWindowCheckChangesNothing(t *testing.T) {
	var w Window
	w.Accept(5)
	w.Check(6)
	w.Check(7)
	if w.Top() != 5 || w.Check(6) != Fresh {
		t.Fatal("Check moved the window: a forged packet must not")
	}
}

func FuzzWindow(f *testing.F) {
	f.Add([]byte{1, 2, 3, 3, 200, 1})
	f.Fuzz(func(t *testing.T, steps []byte) {
		var w Window
		seen := map[uint64]bool{}
		var seq uint64
		for _, s := range steps {
			seq = seq + uint64(s) - 100 // wander up and down
			if int64(seq) <= 0 {
				seq = 1
			}
			v := w.Accept(seq)
			if v == Fresh && seen[seq] {
				t.Fatalf("seq %d accepted twice", seq)
			}
			if v == Fresh {
				seen[seq] = true
			}
		}
	})
}
