# orderflow: `make run` brings up the whole local stack, `make test` runs every test.
SHELL := /bin/bash
GO    ?= go
BIN   := bin
# The Temporal CLI (dev server + Web UI) is pinned in temporal/cli/go.mod.
TEMPORAL := $(BIN)/temporal
# Jaeger all-in-one (traces of the local stack) is pinned in jaeger/go.mod.
JAEGER   := $(BIN)/jaeger
# The Temporal server, its SQL tool and the Web UI server, for
# TEMPORAL_MODE=server, are pinned in temporal/server/go.mod: the release the
# CLI embeds, so most of their build is the CLI's, from the Go build cache.
TEMPORAL_SERVER := $(BIN)/temporal-server $(BIN)/temporal-sql-tool $(BIN)/temporal-ui-server
# Debian's Chromium, for the dashboard's browser tests
# (test/integration/browser_test.go), which drive it headless with chromedp.
CHROMIUM := /usr/bin/chromium
# The version stamped into bin/orderflow: its workers' build ID in their
# Worker Deployment (README, "Rolling out workflow changes").
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS  := -X github.com/orderflow/orderflow/internal/platform/buildinfo.version=$(VERSION) \
            -X github.com/orderflow/orderflow/internal/platform/buildinfo.commit=$(COMMIT)

.PHONY: run test build vet fmt-check temporal temporal-server chromium figures bench clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# Jaeger is built for `make run` only (minutes the first time), so that
# `make test` stays fast. A failed build is reported and ignored (the leading
# -): `orderflow dev` then says Jaeger is missing and runs untraced.
# TEMPORAL_MODE=server also builds the Temporal server; orderflow dev reads
# TEMPORAL_MODE itself (make passes it on from the environment or the
# command line).
run: build ## build, then run the whole platform on loopback (Ctrl-C stops it); TEMPORAL_MODE=server runs the Temporal server
	-$(MAKE) --no-print-directory $(JAEGER)
	$(if $(filter server,$(TEMPORAL_MODE)),$(MAKE) --no-print-directory temporal-server)
	$(BIN)/orderflow dev

# Unit tests run with the race detector; the integration tests start the real
# local stack themselves (PostgreSQL and Redis are installed when missing),
# and drive the dashboard in headless Chromium (installed when missing).
# devstack's tests run the Temporal server too: its build is mostly the CLI's,
# from the Go build cache (well under a minute more).
test: build $(TEMPORAL_SERVER) $(CHROMIUM) vet fmt-check ## vet, gofmt, unit tests with -race, then integration and browser tests on the real local stack
	$(GO) test -race -count=1 -timeout 10m $$($(GO) list ./... | grep -v /test/integration)
	$(GO) test -count=1 -timeout 15m ./test/integration/...

build: $(TEMPORAL) ## build bin/orderflow and the pinned bin/temporal
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/orderflow ./cmd/orderflow

$(TEMPORAL): temporal/cli/go.mod temporal/cli/go.sum
	cd temporal/cli && $(GO) build -o ../../$(TEMPORAL) github.com/temporalio/cli/cmd/temporal

temporal-server: $(TEMPORAL_SERVER) ## build the pinned Temporal server, SQL tool and Web UI server (TEMPORAL_MODE=server)

$(BIN)/temporal-server: temporal/server/go.mod temporal/server/go.sum
	cd temporal/server && $(GO) build -o ../../$@ go.temporal.io/server/cmd/server

$(BIN)/temporal-sql-tool: temporal/server/go.mod temporal/server/go.sum
	cd temporal/server && $(GO) build -o ../../$@ go.temporal.io/server/cmd/tools/sql

$(BIN)/temporal-ui-server: temporal/server/go.mod temporal/server/go.sum
	cd temporal/server && $(GO) build -o ../../$@ github.com/temporalio/ui-server/v2/cmd/server

$(JAEGER): jaeger/go.mod jaeger/go.sum
	cd jaeger && $(GO) build -o ../$(JAEGER) github.com/jaegertracing/jaeger/cmd/jaeger

# Only when /usr/bin/chromium is missing (a fresh CI machine): Debian's
# package and nothing else, as root. The package lists are fetched only if
# the install fails without them.
chromium: $(CHROMIUM) ## install Debian's Chromium for the browser tests, when missing

$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium || \
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

# The CLI reads TEMPORAL_ADDRESS (default localhost:7233) itself.
temporal: $(TEMPORAL) ## run the pinned Temporal CLI: make temporal ARGS="workflow list"
	$(TEMPORAL) $(ARGS)

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# One load-generator run per setup of the local stack (the dev server and the
# Temporal server, one and two replicas of each worker), each on a fresh data
# directory under .data/figures: the README's throughput table.
figures: build temporal-server ## the README's throughput figures: ORDERS=200 SETUPS="dev-1 dev-2 server-1 server-2"
	scripts/figures.sh

bench: ## Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean: ## remove binaries and local data (.data holds the stack's state)
	rm -rf $(BIN) .data
