# ssh-mosh — build, test and measure.
#
# `make test` is what CI runs (.ci/run). On a fresh Debian machine it first
# installs, with apt-get, the real tools the interop tests drive and builds
# mosh 1.4.0's terminal emulator as the oracle of term's differential test
# (`make deps`); it never skips them in CI.

GO        ?= go
TEST_PKGS ?= ./...
# Interop tests start real processes; -p 2 matches the 2-core CI machine.
TEST_FLAGS ?= -race -p 2 -timeout 60m
# Per target; the default keeps `make fuzz` short enough for CI (about 40
# targets). Long runs: make fuzz FUZZTIME=10m (or go test -fuzz one target).
FUZZTIME  ?= 5s
APT_PKGS  := mosh openssh-server openssh-client tmux nftables rsync git perl locales vim less iproute2 util-linux procps python3 gcc zsh fish groff-base g++ dpkg-dev
# Commands (one per package above, in order) whose presence means the package is there.
APT_CMDS  := mosh-server sshd ssh tmux nft rsync git perl locale vim less ip unshare ps python3 gcc zsh fish groff g++ dpkg-source

# The six release targets: every one must build static (CGO_ENABLED=0).
TARGETS   := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 freebsd/amd64 freebsd/arm64
# VERSION is stamped into both binaries by install and dist (a plain
# `go build` says "devel").
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS   := -s -w -X github.com/ssh-mosh/ssh-mosh/internal/version.stamped=$(VERSION)
BUILDDIR  ?= build
DISTDIR   ?= dist

# make install PREFIX=/usr/local [DESTDIR=/tmp/stage]
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
MANPAGES  := docs/ssh-mosh.1 docs/mosh-server.1
SHA256    := $(shell command -v sha256sum >/dev/null 2>&1 && echo sha256sum || echo shasum -a 256)

# The terminal oracle of term/oracle_diff_test.go: mosh 1.4.0's own emulator
# code, from Debian bookworm's mosh source package (the patched source of the
# mosh the interop tests run), built by term/testdata/oracle/build.sh. It is
# cached outside the clone under a name keyed by the builder's contents, so
# a clean clone reuses it and a changed driver rebuilds it.
ORACLE_DIR    ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ssh-mosh/oracle
ORACLE_KEY    := $(shell cat term/testdata/oracle/build.sh term/testdata/oracle/driver.cc 2>/dev/null | $(SHA256) | cut -c1-16)
ORACLE_BIN    ?= $(ORACLE_DIR)/mosh-term-oracle-$(ORACLE_KEY)
# Added only when no configured apt source already provides bookworm main's sources.
DEB_SRC_ENTRY := /etc/apt/sources.list.d/ssh-mosh-deb-src.sources

.PHONY: all build test deps tools oracle bench fuzz lint clean cross tidy-check binaries completions install dist

all: build

build:
	$(GO) build ./...

## cross: vet (tests included) and build both binaries for every target.
cross:
	@for t in $(TARGETS); do \
		echo "cross: $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./... || exit 1; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./cmd/ssh-mosh || exit 1; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./cmd/mosh-server || exit 1; \
	done

## tidy-check: fail when `go mod tidy` would change go.mod or go.sum.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

## binaries, completions: what install ships, for this machine (static;
## the compiled packages are cross's linux/amd64 ones, so after cross only
## the link is new).
binaries:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BUILDDIR)/ ./cmd/ssh-mosh ./cmd/mosh-server

completions: binaries
	@mkdir -p $(BUILDDIR)/completions
	$(BUILDDIR)/ssh-mosh --completion=bash > $(BUILDDIR)/completions/ssh-mosh.bash
	$(BUILDDIR)/ssh-mosh --completion=zsh > $(BUILDDIR)/completions/_ssh-mosh
	$(BUILDDIR)/ssh-mosh --completion=fish > $(BUILDDIR)/completions/ssh-mosh.fish

## install: binaries, man pages and completion scripts under PREFIX (and DESTDIR).
install: completions
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(BUILDDIR)/ssh-mosh $(BUILDDIR)/mosh-server $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(BUILDDIR)/completions/ssh-mosh.bash $(DESTDIR)$(BASHCOMPDIR)/ssh-mosh
	install -m 0644 $(BUILDDIR)/completions/_ssh-mosh $(DESTDIR)$(ZSHCOMPDIR)/_ssh-mosh
	install -m 0644 $(BUILDDIR)/completions/ssh-mosh.fish $(DESTDIR)$(FISHCOMPDIR)/ssh-mosh.fish

## dist: one static archive per target, ssh-mosh_VERSION_OS_ARCH.tar.gz, and SHA256SUMS.
dist: completions
	@rm -rf $(DISTDIR) && mkdir -p $(DISTDIR)
	@for t in $(TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; name=ssh-mosh_$(VERSION)_$${os}_$${arch}; d=$(DISTDIR)/$$name; \
		echo "dist: $$name.tar.gz"; \
		mkdir -p $$d/docs $$d/completions || exit 1; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $$d/ ./cmd/ssh-mosh ./cmd/mosh-server || exit 1; \
		cp $(MANPAGES) docs/*.md $$d/docs/ && cp $(BUILDDIR)/completions/* $$d/completions/ && cp README.md $$d/ || exit 1; \
		for f in LICENSE LICENSE.md COPYING; do [ ! -f $$f ] || cp $$f $$d/; done; \
		tar -C $(DISTDIR) -czf $(DISTDIR)/$$name.tar.gz $$name && rm -rf $$d || exit 1; \
	done
	cd $(DISTDIR) && $(SHA256) *.tar.gz > SHA256SUMS
	@cat $(DISTDIR)/SHA256SUMS

## deps: the real tools the tests use and the terminal oracle, each only when missing (needs apt-get; root or sudo).
deps: tools oracle

## tools: install the real tools the tests use, when missing.
tools:
	@missing=""; set -- $(APT_PKGS); for c in $(APT_CMDS); do \
		if ! command -v $$c >/dev/null 2>&1 && [ ! -x /usr/sbin/$$c ] && [ ! -x /sbin/$$c ]; then missing="$$missing $$1"; fi; shift; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

## oracle: build (once) mosh 1.4.0's terminal emulator for TestOracleDifferential
## and print the MOSH_TERM_ORACLE setting that runs it (make test sets it).
## The source comes from `apt-get source`: a deb-src entry for Debian bookworm
## main is added when none is configured (then apt-get update, as also when
## the source index is missing), the package is unpacked with dpkg-source
## (--no-check: apt-get source already checked the files against the signed
## archive index; the maintainer's key is not in a default keyring).
oracle: tools
	@set -e; bin="$(ORACLE_BIN)"; \
	if [ ! -x "$$bin" ]; then \
		command -v apt-get >/dev/null || { echo "oracle: apt-get (Debian) is needed to fetch mosh 1.4.0's source; or build the oracle with term/testdata/oracle/build.sh and pass ORACLE_BIN=/path/to/it"; exit 1; }; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; APTUSER=; else SUDO=; APTUSER="-o APT::Sandbox::User=root"; fi; \
		if ! apt-get indextargets --no-release-info --format '$$(IDENTIFIER) $$(RELEASE) $$(COMPONENT)' | grep -qx 'Sources bookworm main'; then \
			echo "oracle: adding $(DEB_SRC_ENTRY) (deb-src, Debian bookworm main)"; \
			printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' | $$SUDO tee $(DEB_SRC_ENTRY) >/dev/null; \
			$$SUDO apt-get update -qq; \
		fi; \
		mkdir -p "$(ORACLE_DIR)"; tmp=$$(mktemp -d "$(ORACLE_DIR)/build.XXXXXX"); trap 'rm -rf "$$tmp"' EXIT; \
		echo "oracle: fetching mosh's source (apt-get source) and building $$bin"; \
		( cd "$$tmp" && apt-get $$APTUSER source -qq --download-only mosh >/dev/null 2>&1 ) || { \
			echo "oracle: no source index for mosh yet: apt-get update"; \
			$$SUDO apt-get update -qq && ( cd "$$tmp" && apt-get $$APTUSER source -qq --download-only mosh >/dev/null ); }; \
		dsc=$$(ls "$$tmp"/mosh_1.4.0-*.dsc 2>/dev/null | head -n 1); \
		[ -n "$$dsc" ] || { echo "oracle: apt-get source mosh did not give mosh 1.4.0 (got: $$(cd "$$tmp" && ls))"; exit 1; }; \
		dpkg-source -q --no-check -x "$$dsc" "$$tmp/mosh" >/dev/null; \
		sh term/testdata/oracle/build.sh "$$tmp/mosh" "$$tmp/oracle"; \
		mv "$$tmp/oracle" "$$bin"; \
	fi; \
	echo "MOSH_TERM_ORACLE=$$bin"

test: deps tidy-check cross
	$(GO) vet ./...
	MOSH_TERM_ORACLE=$(ORACLE_BIN) $(GO) test $(TEST_FLAGS) $(TEST_PKGS)

## bench: benchmarks, including side-by-side comparisons with real mosh (ratios printed).
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(TEST_PKGS)

## fuzz: run every fuzz target for FUZZTIME each, one at a time (a target
## fuzzes with all cores). A package whose tests do not build fails the run
## rather than silently losing its targets; a crasher is written to the
## package's testdata/fuzz/FuzzX/ by go test and fails the run. Minimizing
## a new input is capped at 10s (go test's default is 60s). When the time
## runs out while a worker is mid-step, go test can fail with only "context
## deadline exceeded" and no input (go.dev/issue/75804, a race in Go 1.26's
## fuzz coordinator between its deadline and its workers' context). Such a
## run (and only such a run) is tried once more with a budget counted in
## executions, as many as the failed run made, which has no deadline to race;
## a failure that wrote an input always fails.
fuzz:
	@n=0; for pkg in $$($(GO) list $(TEST_PKGS)); do \
		targets=$$($(GO) test -run '^$$' -list '^Fuzz' $$pkg) || { echo "$$targets"; echo "fuzz: cannot list the targets of $$pkg"; exit 1; }; \
		for f in $$(echo "$$targets" | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; n=$$((n+1)); \
			budget=$(FUZZTIME); \
			for try in 1 2; do \
				out=$$($(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $$budget -fuzzminimizetime 10s $$pkg 2>&1) && { echo "$$out" | tail -n 1; break; }; \
				echo "$$out"; \
				if [ $$try = 2 ] || echo "$$out" | grep -q 'Failing input written' || ! echo "$$out" | grep -q 'context deadline exceeded'; then exit 1; fi; \
				execs=$$(echo "$$out" | grep -o 'execs: [0-9]*' | tail -n 1 | grep -o '[0-9]*'); \
				budget=$$(( $${execs:-0} > 1000 ? $${execs:-0} : 1000 ))x; \
				echo "fuzz: $$f stopped on its own deadline without an input (go.dev/issue/75804); trying once more for $${budget%x} executions"; \
			done; \
		done; \
	done; echo "fuzz: $$n targets ran for $(FUZZTIME) each"

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed" && exit 1)
	@! grep -rnE --include='*.go' '(^|[^/A-Za-z-])(PROTOCOL|DESIGN|TESTING|STYLE)\.md|\.\./shared|/work/shared' . || \
		(echo "comments must cite files in the repository (docs/PROTOCOL.md, a section name, a source file)" && exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	$(GO) clean -testcache
	rm -rf $(BUILDDIR) $(DISTDIR)
