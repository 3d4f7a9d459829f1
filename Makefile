# raftkv — build, test and play.
#
#   make cluster      build the binaries and start a local 3-member cluster (Ctrl-C stops it)
#   make stop-member M=2 / make start-member M=2   crash or restart one member, from another terminal
#   make status       who leads: one line per member of the local cluster
#   make proxy        from another terminal: a grpc-proxy in front of the cluster, on 127.0.0.1:23790
#   make test         everything CI runs: gofmt, go vet, staticcheck, go test -race, simulator seeds
#   make sim SEEDS=N  run N raft-level simulator seeds with all faults
#   make sim-member MEMBER_SEEDS=N
#                     run N member-level seeds: real members, clients, all faults,
#                     linearizability checked (cmd/raftsim -mode member); N/5 more with auth on
#   make sim-long     a long simulator run (many thousands of seeds, both levels)
#   make fuzz         run every fuzz target for FUZZTIME each
#   make bench        run the in-repo benchmarks
#   make compat       run etcd's own clients (clientv3, etcdctl) against raftkv (compat/)

GO          ?= go
BIN         := $(CURDIR)/bin
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
# etcd's own etcdctl, which the compatibility tests (compat/) run against
# raftkv: built from the Go module proxy, kept in bin/ once built.
ETCDCTL     := $(BIN)/etcdctl
ETCD_VERSION := v3.7.3
SEEDS       ?= 300
MEMBER_SEEDS ?= 1000
DATA        ?= ./data
FUZZTIME    ?= 30s

.PHONY: all build cluster proxy stop-member start-member status test lint fmt-check vet staticcheck unit compat etcdctl ui-test ui-check sim sim-member sim-long chaos fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# A local 3-member cluster (etcd's Procfile layout); Ctrl-C stops it. exec:
# the script, not a shell around it, is make's child, so that make sees the
# script's own clean exit after a Ctrl-C and reports no interrupted recipe.
cluster: build
	@exec env BIN=$(BIN) DATA=$(DATA) scripts/cluster.sh run

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

# One line per member: its role, term, leader, commit and applied index.
status:
	@BIN=$(BIN) DATA=$(DATA) scripts/cluster.sh status

test: fmt-check vet staticcheck unit compat ui-test sim sim-member

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bench/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	cd compat && $(GO) vet ./...

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...
	cd bench && $(STATICCHECK) ./...
	cd compat && $(STATICCHECK) ./...

unit:
	$(GO) test -race -timeout 20m ./...
	# The break-a-rule scenarios need a build that may switch rules off.
	$(GO) test -race -tags raftunsafe -run Scenarios ./sim/

# etcd's etcdctl, built as etcd's own build does not allow `go install`
# (its go.mod has replace directives): in a throw-away module that requires
# it, outside the repository, so that nothing of etcd's is committed and the
# main module does not depend on it. Built once; delete it to rebuild.
$(ETCDCTL):
	@echo "building etcd's etcdctl $(ETCD_VERSION) into $(ETCDCTL)"
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cd "$$tmp" && \
	printf 'module etcdctlbuild\n\ngo 1.26.0\n' > go.mod && \
	printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/etcdctl/v3"\n' > tools.go && \
	{ $(GO) get go.etcd.io/etcd/etcdctl/v3@$(ETCD_VERSION) >"$$tmp/get.log" 2>&1 || { cat "$$tmp/get.log"; exit 1; }; } && \
	CGO_ENABLED=0 $(GO) build -trimpath -o "$$tmp/etcdctl" go.etcd.io/etcd/etcdctl/v3 && \
	mkdir -p $(BIN) && mv "$$tmp/etcdctl" $(ETCDCTL)

etcdctl: $(ETCDCTL)

# etcd's Go client and etcdctl against raftkv (compat/, a module of its own
# so that the main module does not depend on them).
compat: $(ETCDCTL)
	cd compat && COMPAT_ETCDCTL=$(ETCDCTL) $(GO) test -race -timeout 10m ./...

# The renderer of /ui and of the simulator's timeline, with Node's test runner.
# Node.js 18 or newer runs them; a machine without it gets Debian's (the
# same way ui-check gets its Chromium).
ui-test:
	@command -v node >/dev/null || { \
	  echo "installing Debian's nodejs (the UI tests run on Node's test runner)..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs; fi; }
	node --test ui/

# Screenshots of the live page against a running 3-member cluster and of a
# simulator timeline, with Debian's headless Chromium (installed if missing).
ui-check: build
	@scripts/ui-check.sh

sim:
	$(GO) run ./cmd/raftsim -seeds $(SEEDS) -faults all

# Member-level seeds; then, with authentication on, a fifth as many with a
# client revoking permissions while writes are in flight (every member's
# decision on every write compared).
sim-member:
	$(GO) run ./cmd/raftsim -mode member -seeds $(MEMBER_SEEDS) -faults all
	$(GO) run ./cmd/raftsim -mode member -auth -seeds $$(( $(MEMBER_SEEDS) / 5 )) -faults all

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
