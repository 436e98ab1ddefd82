package scenario

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.want and scenarios/schema.json from the current output")

// TestBadFixtures loads every malformed fixture and compares the exact
// error lines with its .want file.
func TestBadFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			s, err := Load(file, testCatalog{})
			if err == nil {
				t.Fatalf("Load(%s) = %v, want errors", file, s)
			}
			var list *ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want *ErrorList: %v", err, err)
			}
			got := err.Error() + "\n"
			wantFile := strings.TrimSuffix(file, ".yaml") + ".want"
			if *update {
				if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("errors differ\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}

// TestGoodFixtures loads every valid fixture.
func TestGoodFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) == 0 {
		t.Fatal("no good fixtures")
	}
	for _, file := range files {
		if _, err := Load(file, testCatalog{}); err != nil {
			t.Errorf("Load(%s):\n%v", file, err)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/none.yaml", testCatalog{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
}

func TestErrorListSortedAndJoined(t *testing.T) {
	c := &collector{file: "f.yaml"}
	c.at(3, 1, "c")
	c.at(1, 5, "b")
	c.at(1, 2, "a")
	c.at(1, 2, "a")
	err := c.result()
	want := "f.yaml:1:2: a\nf.yaml:1:5: b\nf.yaml:3:1: c"
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Line != 1 || e.Col != 2 {
		t.Errorf("errors.As(*Error) = %v", e)
	}
}

func TestNilCatalog(t *testing.T) {
	_, err := Parse("f.yaml", []byte("name: x\nduration: 1s\ntopology: {servers: [{name: a, role: r}]}\n"), nil)
	if err == nil || !strings.Contains(err.Error(), `unknown role "r"; none are defined`) {
		t.Errorf("got %v", err)
	}
}
