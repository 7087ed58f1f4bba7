# ssh-mosh — build, test and measure.
#
# `make test` is what CI runs (.ci/run). On a fresh Debian machine it first
# installs, with apt-get, the real tools the interop tests drive; it never
# skips them in CI.

GO        ?= go
TEST_PKGS ?= ./...
# Interop tests start real processes; -p 2 matches the 2-core CI machine.
TEST_FLAGS ?= -race -p 2 -timeout 60m
# Per target; the default keeps `make fuzz` short enough for CI (about 40
# targets). Long runs: make fuzz FUZZTIME=10m (or go test -fuzz one target).
FUZZTIME  ?= 5s
APT_PKGS  := mosh openssh-server openssh-client tmux nftables rsync git perl locales vim less iproute2 util-linux procps python3 gcc zsh fish
# Commands (one per package above, in order) whose presence means the package is there.
APT_CMDS  := mosh-server sshd ssh tmux nft rsync git perl locale vim less ip unshare ps python3 gcc zsh fish

.PHONY: all build test deps bench fuzz lint clean

all: build

build:
	$(GO) build ./...

## deps: install the real tools the tests use, when missing (needs root and apt-get).
deps:
	@missing=""; set -- $(APT_PKGS); for c in $(APT_CMDS); do \
		if ! command -v $$c >/dev/null 2>&1 && [ ! -x /usr/sbin/$$c ] && [ ! -x /sbin/$$c ]; then missing="$$missing $$1"; fi; shift; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: deps
	$(GO) vet ./...
	$(GO) test $(TEST_FLAGS) $(TEST_PKGS)

## bench: benchmarks, including side-by-side comparisons with real mosh (ratios printed).
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(TEST_PKGS)

## fuzz: run every fuzz target for FUZZTIME each, one at a time (a target
## fuzzes with all cores). A package whose tests do not build fails the run
## rather than silently losing its targets; a crasher is written to the
## package's testdata/fuzz/FuzzX/ by go test and fails the run. Minimizing
## a new input is capped at 10s (go test's default is 60s).
fuzz:
	@n=0; for pkg in $$($(GO) list $(TEST_PKGS)); do \
		targets=$$($(GO) test -run '^$$' -list '^Fuzz' $$pkg) || { echo "$$targets"; echo "fuzz: cannot list the targets of $$pkg"; exit 1; }; \
		for f in $$(echo "$$targets" | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; n=$$((n+1)); \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg || exit 1; \
		done; \
	done; echo "fuzz: $$n targets ran for $(FUZZTIME) each"

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed" && exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	$(GO) clean -testcache
