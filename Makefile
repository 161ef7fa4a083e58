# The README's two commands. Both install what a fresh machine lacks (pingora's build
# needs cmake) without asking, then build with cargo.

SHELL := /bin/bash
CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null && echo sudo)

.PHONY: demo test deps bench load-bench icount fuzz

deps:
	@command -v cmake >/dev/null 2>&1 || { \
	  echo "installing cmake (needed to build pingora)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake >/dev/null; }

## Run the demo: three reference backends and the gateway on 127.0.0.1 (Ctrl-C stops).
demo: deps
	$(CARGO) run --release --quiet -- demo

## Run every check and test: formatting, lints, unit and integration tests.
test: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --quiet -- -D warnings
	$(CARGO) test --all-targets --quiet

## Translation microbenchmarks (criterion).
bench: deps
	$(CARGO) bench --bench translate

## The load bench: backend, nginx and the gateway under wrk on loopback (a few minutes).
load-bench: deps
	bash benches/load.sh

## Instructions per request (callgrind): a load-independent figure for comparing builds.
icount: deps
	bash benches/icount.sh

## Every fuzz target for FUZZ_SECONDS each (nightly; installs cargo-fuzz if missing).
FUZZ_SECONDS ?= 150
fuzz: deps
	bash fuzz/run.sh $(FUZZ_SECONDS)
