# boxlab — see README.md. Every target that builds namespaces needs root.
GO      ?= go
GINKGO  ?= $(shell $(GO) env GOPATH)/bin/ginkgo
BIN     := bin/boxlab
UNIT    := ./sim/... ./nat/... ./devices/... ./reports/... ./cmd/...

.PHONY: all build demo test unit e2e fuzz bench vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/boxlab

# Runs the quickstart scenario end to end on the embedded defaults.
demo: build
	./$(BIN) run scenarios/quickstart.yaml --out out/quickstart

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

# Unit tests (pure cores, race detector), then the Ginkgo end-to-end suites.
test: vet build e2e unit

unit:
	$(GO) test -race -count=1 $(UNIT)

e2e: build $(GINKGO)
	$(GINKGO) -r --keep-going --procs=1 --timeout=40m --junit-report=e2e-junit.xml --output-dir=out conformance

$(GINKGO):
	$(GO) install github.com/onsi/ginkgo/v2/ginkgo@v2.34.0

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=60s ./sim/scenario/
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=60s ./sim/assert/
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=30s ./devices/echo/

# Scale figures (namespaces per second, memory per box) and micro-benchmarks.
bench: build
	$(GO) run ./cmd/boxlab-bench
	$(GO) test -run='^$$' -bench=. -benchmem ./sim/metrics/ ./sim/assert/ ./sim/journal/ ./devices/echo/

clean:
	-./$(BIN) clean
	rm -rf bin out
