# boxlab — see README.md. Every target that builds namespaces needs root.
GO      ?= go
comma   := ,
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

# Every fuzz target of the tree, FUZZTIME each (go test -fuzz takes one target at a time).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$(grep -rl '^func Fuzz' --include='*_test.go' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$pkg/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$$$' -fuzz="^$$f$$$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Packages whose Go benchmarks `make bench` runs; one a line so additions do not collide.
BENCH_PKGS := ./sim/metrics/
BENCH_PKGS += ./sim/assert/
BENCH_PKGS += ./sim/journal/
BENCH_PKGS += ./devices/echo/
BENCH_PKGS += ./nat/table/
BENCH_PKGS += ./devices/rendezvous/
BENCH_PKGS += ./devices/relay/
BENCH_PKGS += ./devices/ratings/
BENCH_PKGS += ./devices/acs/
BENCH_PKGS += ./sim/ns/
BENCH_PKGS += ./devices/httpauth/

# Scale figures (namespaces per second, memory per box) and micro-benchmarks.
# Load-test scenarios `make bench` runs through boxlab-bench -scenario (CPU,
# memory per box, event rates); one a line.
LOAD_SCENARIOS := scenarios/load-1000.yaml
LOAD_SCENARIOS += scenarios/load-remap.yaml
LOAD_SCENARIOS += scenarios/peer-load.yaml
LOAD_SCENARIOS += scenarios/traversal-load.yaml
LOAD_SCENARIOS += scenarios/load-ratings.yaml
LOAD_SCENARIOS += scenarios/load-ratings-10k.yaml
LOAD_SCENARIOS += scenarios/load-keepalive.yaml

bench: build
	$(GO) run ./cmd/boxlab-bench
	$(GO) test -run='^$$' -bench=. -benchmem $(BENCH_PKGS)
	$(GO) test -run='^$$' -bench=Forward64B -benchtime=1x ./nat/userspace/
	$(GO) run ./cmd/boxlab-bench -scenario $(subst $(eval) ,$(comma),$(strip $(LOAD_SCENARIOS)))

clean:
	-./$(BIN) clean
	rm -rf bin out
