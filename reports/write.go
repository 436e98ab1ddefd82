package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Names of the files WriteAll writes.
const (
	JSONFile  = "report.json"
	JUnitFile = "junit.xml"
	HTMLFile  = "report.html"
)

// WriteAll creates dir if needed and writes report.json, junit.xml and
// report.html into it, in that order. It returns the paths it wrote; on error,
// the paths written before it.
func WriteAll(dir string, r *Run) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	writers := []struct {
		name  string
		write func(io.Writer, *Run) error
	}{
		{JSONFile, WriteJSON},
		{JUnitFile, WriteJUnit},
		{HTMLFile, WriteHTML},
	}
	var paths []string
	for _, f := range writers {
		var buf bytes.Buffer
		if err := f.write(&buf, r); err != nil {
			return paths, fmt.Errorf("reports: %s: %w", f.name, err)
		}
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return paths, fmt.Errorf("reports: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
