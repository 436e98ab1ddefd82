package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input panics, and that every failure is an
// *ErrorList of positioned errors in the file.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil && len(data) < 4096 {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data, testCatalog{})
		if err == nil {
			if s == nil || s.Speed <= 0 || s.Duration <= 0 {
				t.Fatalf("accepted scenario with speed %v, duration %v", s.Speed, s.Duration)
			}
			return
		}
		var list *ErrorList
		if !errors.As(err, &list) || len(*list) == 0 {
			t.Fatalf("error %T is not a non-empty *ErrorList: %v", err, err)
		}
		lines := len(splitLines(string(data)))
		for _, e := range *list {
			if e.File != "f.yaml" || e.Line < 1 || e.Col < 1 || e.Line > lines+1 || e.Msg == "" {
				t.Fatalf("bad error %+v in a file of %d lines", e, lines)
			}
		}
	})
}
