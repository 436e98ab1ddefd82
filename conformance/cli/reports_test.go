package cli_test

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"
)

// report is the part of report.json a user (or a tool) relies on.
type report struct {
	Scenario string `json:"scenario"`
	RunID    string `json:"run_id"`
	Topology struct {
		Namespaces int `json:"namespaces"`
	} `json:"topology"`
	Assertions []struct {
		Name     string `json:"name"`
		Expr     string `json:"expr"`
		Expected string `json:"expected"`
		Measured string `json:"measured"`
		Pass     bool   `json:"pass"`
	} `json:"assertions"`
	Files []string `json:"files"`
	Error string   `json:"error"`
}

func readReport(out string) report {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	Expect(err).NotTo(HaveOccurred())
	var r report
	Expect(json.Unmarshal(b, &r)).To(Succeed(), "report.json is not JSON")
	return r
}

// junit is junit.xml as CI servers read it.
type junit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(out string) junit {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	Expect(err).NotTo(HaveOccurred())
	var j junit
	Expect(xml.Unmarshal(b, &j)).To(Succeed(), "junit.xml is not XML with a testsuites root")
	return j
}

// failedCases are the names of the JUnit test cases with a <failure>.
func (j junit) failedCases() []string {
	var names []string
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				names = append(names, c.Name)
			}
		}
	}
	return names
}

// events reads events.jsonl, one JSON object per line.
func events(out string) []map[string]any {
	GinkgoHelper()
	f, err := os.Open(filepath.Join(out, "events.jsonl"))
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	var evs []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var ev map[string]any
		Expect(json.Unmarshal(sc.Bytes(), &ev)).To(Succeed(), "events.jsonl line %d: %s", n, sc.Text())
		evs = append(evs, ev)
	}
	Expect(sc.Err()).NotTo(HaveOccurred())
	return evs
}

// assertionCount is how many assertions a scenario file declares.
func assertionCount(path string) int {
	GinkgoHelper()
	b, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var s struct {
		Assertions []yaml.Node `yaml:"assertions"`
	}
	Expect(yaml.Unmarshal(b, &s)).To(Succeed())
	return len(s.Assertions)
}
