# aircall-entra-sso — build, test and run the Azure Functions custom handler.
# `make demo` and `make test` are the two commands a new machine needs.

SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BUILD ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.build=$(BUILD)
DIST := dist
RUNDIR ?= $(CURDIR)/devenv/.run
TEST_TIMEOUT ?= 30m
WITH_SERVICES := devenv/scripts/with-services.sh $(RUNDIR)

.PHONY: help build test test-go demo run lint package deploy dev-up dev-down sim clean bench resilience fuzz tools

help:
	@echo "make demo        run every job end to end on local stand-ins (no Azure account)"
	@echo "make test        go vet + all tests with Azurite and the Service Bus peer started and stopped"
	@echo "make build       assemble the deployable app root in $(DIST)/ (linux/amd64 handler + host.json + functions)"
	@echo "make run         func start in $(DIST)/ with local.settings.json (Azure Functions Core Tools)"
	@echo "make lint        gofmt check, go vet, actionlint"
	@echo "make package     $(DIST)/app.zip for zip deploy"
	@echo "make deploy      Bicep deployment + zip deploy (needs az login; see README)"
	@echo "make bench       performance figures with their baselines (bench-results.md)"
	@echo "make resilience  the fuzzing engine on every target, then the long resilience suite"
	@echo "make fuzz        the fuzzing engine on every target (FUZZTIME=20000x inputs each)"
	@echo "make dev-up / dev-down   start / stop Azurite and the Service Bus peer (prints the matching settings)"
	@echo "make sim         dev-up plus the Graph simulator, with handler settings in devenv/.run/handler.env"

# APP_ROOT copies what the app root holds besides the handler binary.
APP_ROOT = cp host.json $(DIST)/ && for f in functions/*/; do cp -r "$$f" $(DIST)/; done

## build: the app root Core Tools and zip deploy use.
build:
	rm -rf $(DIST) && mkdir -p $(DIST)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(DIST)/handler ./handler
	$(APP_ROOT)
	@echo "app root ready in $(DIST)/: $$(ls $(DIST) | tr '\n' ' ')"

## test: what CI runs. Installs npm packages, Go modules and Chromium (the
## report page's browser tests), starts the local services, runs vet and
## every test, and stops the services even on failure.
test:
	$(GO) mod download
	devenv/scripts/chromium.sh
	$(WITH_SERVICES) $(MAKE) --no-print-directory test-go

## test-go runs the committed fuzz corpora as plain tests (deterministic); the
## fuzzing engine runs in `make fuzz` and `make resilience`, never here.
test-go:
	$(GO) vet ./...
	DEVENV_REQUIRED=1 $(GO) test -timeout $(TEST_TIMEOUT) -count=1 ./...

## fuzz: the fuzzing engine on every fuzz target, FUZZTIME each — a count of
## inputs (Nx), not a duration, so no run ends on a wall-clock deadline.
FUZZTIME ?= 20000x
fuzz:
	@devenv/scripts/fuzz-all.sh $(FUZZTIME)

## demo: the app root for this machine and the demo, with what can overlap
## run at once: npm ci (Azurite, the Service Bus peer) beside one go build of
## the handler and the demo — one invocation with one set of flags, so the
## packages they share compile once. It ends by writing $(DIST)/report.html.
DEMO_BIN = $(RUNDIR)/bin
demo:
	rm -rf $(DIST) && mkdir -p $(DIST) $(DEMO_BIN)
	devenv/scripts/npm-install.sh & npm=$$!; \
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(DEMO_BIN)/ ./handler ./devenv/cmd/demo; built=$$?; \
	wait $$npm || exit 1; exit $$built
	cp $(DEMO_BIN)/handler $(DIST)/handler
	$(APP_ROOT)
	$(WITH_SERVICES) $(DEMO_BIN)/demo -dist $(DIST)

run: build
	@command -v func >/dev/null || { echo "Azure Functions Core Tools ('func') are not installed: see https://learn.microsoft.com/azure/azure-functions/functions-run-local (npm i -g azure-functions-core-tools@4 downloads the host from a CDN). Without them, 'make demo' runs the app through devenv's host stand-in."; exit 1; }
	@[ -f local.settings.json ] || { echo "local.settings.json is missing: cp local.settings.sample.json local.settings.json and fill it in (README: running against a real tenant)"; exit 1; }
	cp local.settings.json $(DIST)/ && cd $(DIST) && func start --custom

lint:
	@out=$$(gofmt -l handler devenv); if [ -n "$$out" ]; then echo "gofmt wants to change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

package: build
	rm -f $(DIST)/app.zip
	$(GO) run ./devenv/cmd/zipapp -dir $(DIST) -out app.zip
	@echo "zip deploy package: app.zip"

deploy: package
	infra/deploy.sh

dev-up:
	devenv/scripts/up.sh $(RUNDIR)

dev-down:
	devenv/scripts/down.sh $(RUNDIR)

## sim: the local services plus the Graph simulator, and the handler settings
## for them (devenv/.run/handler.env), to run each job by hand (README).
sim:
	devenv/scripts/sim.sh $(RUNDIR) $(SIM_ARGS)

bench:
	$(WITH_SERVICES) $(GO) run ./devenv/cmd/bench -out bench-results.md

## resilience: every test that breaks something on purpose (Graph faults and
## throttling, `handler audit` SIGKILLed at five points of a 200k-user scan, Service Bus down, Azurite stopped,
## concurrent provisioning), run verbosely, after the fuzzing engine on every target;
## make test runs the tests too, and the committed fuzz corpora as plain tests.
RESILIENCE_TESTS := SIGKILL|Fault|Throttl|Killed|Resume|TimeBudget|Outbox|Outage|Down|Stopped|StorageDown|Concurrent|Unavailab|FailureMidway|FailureAfterStep2|Replication
resilience:
	$(MAKE) --no-print-directory fuzz
	set -o pipefail; $(WITH_SERVICES) env DEVENV_REQUIRED=1 RESILIENCE_LONG=1 AUDIT_KILL_USERS=200000 $(GO) test -timeout 60m -count=1 -run '$(RESILIENCE_TESTS)' -v ./... 2>&1 | grep -E '^(=== RUN|--- (PASS|FAIL)|ok|FAIL|PASS)|kills; '

clean:
	rm -rf $(DIST) app.zip bench-results.md
	-devenv/scripts/down.sh $(RUNDIR)
