package cwmp

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any input is parsed or refused, never a panic, and whatever
// parses survives an Encode/Parse round trip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><x/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := Parse(b)
		if err != nil {
			return
		}
		if _, err := Parse(Encode(env)); err != nil {
			t.Fatalf("re-parse of an accepted envelope: %v\n%s", err, Encode(env))
		}
	})
}
