GO ?= go
BIN := bin/cogpass

.PHONY: build install demo test vet fmt-check fuzz bench conformance clean

# -buildvcs=auto: stamp the commit into the binary for --version even where
# GOFLAGS (or go env) turns stamping off; outside a git checkout it is skipped.
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/cogpass

## install: cogpass into $(go env GOBIN), or $(go env GOPATH)/bin, which should be on PATH
install:
	$(GO) install -buildvcs=auto ./cmd/cogpass

## demo: a real bulk job against the built-in emulator (no AWS account needed)
demo: build
	bash scripts/demo.sh $(BIN)

## test: formatting, vet, and every test with the race detector
test: fmt-check vet
	$(GO) test -race ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## fuzz: every fuzz target for FUZZTIME each (default 30s)
FUZZTIME ?= 30s
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

## bench: the performance figures of BENCHMARKS.md (FIGURE=N runs one)
bench: build
	$(GO) run ./cmd/cogpass-bench -bin $(BIN) $(if $(FIGURE),-only $(FIGURE))

## conformance: cogpass against cognito-local, moto and its own emulator (docs/conformance.md)
conformance: build
	bash scripts/conformance.sh $(BIN)

clean:
	rm -rf bin demo-out .cache
