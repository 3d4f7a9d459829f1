# raftkv — build, test and play.
#
#   make cluster      build the binaries and start a local 3-member cluster (Ctrl-C stops it)
#   make stop-member M=2 / make start-member M=2   crash or restart one member, from another terminal
#   make proxy        from another terminal: a grpc-proxy in front of the cluster, on 127.0.0.1:23790
#   make test         everything CI runs: gofmt, go vet, staticcheck, go test -race, simulator seeds
#   make sim SEEDS=N  run N raft-level simulator seeds with all faults
#   make sim-member MEMBER_SEEDS=N
#                     run N member-level seeds: real members, clients, all faults,
#                     linearizability checked (cmd/raftsim -mode member)
#   make sim-long     a long simulator run (many thousands of seeds, both levels)
#   make fuzz         run every fuzz target for FUZZTIME each
#   make bench        run the in-repo benchmarks

GO          ?= go
BIN         := $(CURDIR)/bin
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
SEEDS       ?= 300
MEMBER_SEEDS ?= 1000
DATA        ?= ./data
FUZZTIME    ?= 30s

.PHONY: all build cluster proxy stop-member start-member test lint fmt-check vet staticcheck unit ui-test ui-check sim sim-member sim-long chaos fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# A local 3-member cluster (etcd's Procfile layout); Ctrl-C stops it.
cluster: build
	@BIN=$(BIN) DATA=$(DATA) scripts/cluster.sh run

# From another terminal: a grpc-proxy in front of make cluster's members
# (etcd's Procfile has the same), registered under etcd's resolver prefix
# so that member list through it lists the proxies; Ctrl-C stops it.
PROXY_ADDR ?= 127.0.0.1:23790
proxy: build
	$(BIN)/raftkv grpc-proxy start --endpoints=127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379 \
		--listen-addr=$(PROXY_ADDR) --advertise-client-url=$(PROXY_ADDR) \
		--resolver-prefix=___grpc_proxy_endpoint --resolver-ttl=60

# From another terminal: crash one member (SIGKILL), or start it again.
stop-member:
	@BIN=$(BIN) DATA=$(DATA) scripts/cluster.sh stop $(M)

start-member:
	@BIN=$(BIN) DATA=$(DATA) scripts/cluster.sh start $(M)

test: fmt-check vet staticcheck unit ui-test sim sim-member

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bench/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd bench && $(GO) vet ./...

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...
	cd bench && $(STATICCHECK) ./...

unit:
	$(GO) test -race -timeout 20m ./...
	# The break-a-rule scenarios need a build that may switch rules off.
	$(GO) test -race -tags raftunsafe -run Scenarios ./sim/

# The renderer of /ui and of the simulator's timeline, with Node's test runner.
ui-test:
	@command -v node >/dev/null || { echo "node is needed for the UI tests (Node.js 18 or newer)"; exit 1; }
	node --test ui/

# Screenshots of the live page against a running 3-member cluster and of a
# simulator timeline, with Debian's headless Chromium (installed if missing).
ui-check: build
	@scripts/ui-check.sh

sim:
	$(GO) run ./cmd/raftsim -seeds $(SEEDS) -faults all

sim-member:
	$(GO) run ./cmd/raftsim -mode member -seeds $(MEMBER_SEEDS) -faults all

sim-long:
	$(GO) run ./cmd/raftsim -seeds 20000 -faults all
	$(GO) run ./cmd/raftsim -mode member -seeds 20000 -faults all

# Real processes under kill -9 and SIGSTOP for longer than make test's few
# seconds (cmd/raftkv/chaos_test.go).
CHAOS_DURATION ?= 5m
chaos:
	$(GO) test -count=1 -v -run '^TestProcess_Chaos$$' -timeout 0 ./cmd/raftkv -chaos.duration $(CHAOS_DURATION)

fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN) data
