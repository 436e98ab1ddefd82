package audience

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

const m = time.Minute

// The seed's table 4 example: users 01234 and 02462 watch service 01
// programme 011 from 10:50 and 10:20; users 55208 and 49653 watch service 02
// programme 021 from 12:05 and 12:15, both until 12:25.
func seedTable() []Viewing {
	at := func(h, mm int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(mm)*m }
	return []Viewing{
		{User: "01234", Service: "01", Program: "011", Start: at(10, 50), End: at(11, 0)},
		{User: "02462", Service: "01", Program: "011", Start: at(10, 20), End: at(11, 0)},
		{User: "55208", Service: "02", Program: "021", Start: at(12, 5), End: at(12, 25)},
		{User: "49653", Service: "02", Program: "021", Start: at(12, 15), End: at(12, 25)},
	}
}

func TestComputeSeedTable(t *testing.T) {
	r := Compute(seedTable(), Options{Min: m, Windows: []Window{{Name: "noon", Service: "02", From: 12 * time.Hour, To: 12*time.Hour + 10*m}}})
	want := map[string]Figures{
		"01": {Viewers: 2, Viewings: 2, Total: 50 * m, Average: 25 * m, Share: 50.0 / 80},
		"02": {Viewers: 2, Viewings: 2, Total: 30 * m, Average: 15 * m, Share: 30.0 / 80},
	}
	if !reflect.DeepEqual(r.Channels, want) {
		t.Errorf("seed 004 table 4 channels = %+v, want %+v", r.Channels, want)
	}
	if r.Programmes["011"].Total != 50*m || r.Programmes["021"].Viewers != 2 {
		t.Errorf("programmes = %+v", r.Programmes)
	}
	if got := r.MostWatchedChannels; !reflect.DeepEqual(got, []string{"01", "02"}) {
		t.Errorf("most watched = %v; want 01 (more time) before 02 at equal viewers", got)
	}
	if w := r.Windows["noon"]; w.Viewers != 1 || w.Total != 5*m {
		t.Errorf("method A window 12:00-12:10 on 02 = %+v; want 55208's 5 minutes", w)
	}
	if p := r.Preferences["02462"]; p.Service != "01" || p.Program != "011" || p.Total != 40*m {
		t.Errorf("preference of 02462 = %+v", p)
	}
}

func TestComputeRules(t *testing.T) {
	vs := []Viewing{
		{User: "u1", Service: "a", Program: "a1", Start: 0, End: 59 * time.Second}, // seed §2: under a minute
		{User: "u1", Service: "a", Program: "a1", Start: 2 * m, End: 4 * m},
		{User: "u1", Service: "a", Program: "a2", Start: 5 * m, End: 7 * m}, // same user again: one viewer
		{User: "u2", Service: "b", Program: "b1", Start: 1 * m, Open: true}, // still watching at Now
		{User: "u3", Service: "b", Program: "b1", Start: 9 * m, Open: true}, // open but too short at Now
	}
	r := Compute(vs, Options{Min: m, Now: 9*m + 30*time.Second})
	if r.Viewings != 3 {
		t.Errorf("viewings = %d; want 3 (one too short, one open and too short)", r.Viewings)
	}
	if f := r.Channels["a"]; f.Viewers != 1 || f.Viewings != 2 || f.Total != 4*m || f.Average != 2*m {
		t.Errorf("channel a = %+v", f)
	}
	if f := r.Channels["b"]; f.Total != 8*m+30*time.Second {
		t.Errorf("open viewing ends at Now: channel b = %+v", f)
	}
	if got := r.MostWatchedChannels; !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Errorf("most watched = %v", got)
	}
	if len(Compute(nil, Options{}).Channels) != 0 {
		t.Error("no viewings, channels reported")
	}
}

// Splitting the same viewings into any order gives the same report.
func TestComputeOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var vs []Viewing
	for i := 0; i < 300; i++ {
		s := time.Duration(rng.IntN(3600)) * time.Second
		vs = append(vs, Viewing{User: string(rune('a' + rng.IntN(20))), Service: string(rune('A' + rng.IntN(5))),
			Program: string(rune('p' + rng.IntN(8))), Start: s, End: s + time.Duration(rng.IntN(600))*time.Second})
	}
	o := Options{Min: m, Windows: []Window{{Name: "w", Service: "A", From: 10 * m, To: 20 * m}}}
	want := Compute(vs, o)
	rng.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
	if got := Compute(vs, o); !reflect.DeepEqual(got, want) {
		t.Error("the report depends on the order of the records")
	}
}
