# The two commands a new user needs: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
# Data sets resolve by name from here (ml-latest-small and ml-100k are beside the checkout).
export COFI_DATA_DIR ?= $(abspath $(CURDIR)/../shared/data)

COFI := build/dev/bin/cofi

.PHONY: all deps build release demo test test-unit test-fuzz bench bench-load bench-train bench-recommend bench-scale bench-hybrid bench-serve asan tsan ci valgrind clean

all: build

deps:
	@bash scripts/install-deps.sh
	@bash scripts/install-npm-deps.sh

build: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)

release: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# The main job, end to end on ml-latest-small.
demo: build
	@bash scripts/demo.sh $(COFI)

test: test-unit test-fuzz

test-unit: build
	@ctest --preset dev

# Each reader's libFuzzer target, run briefly over its committed seed corpus.
test-fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@ctest --test-dir build/fuzz --output-on-failure -j 2

# The whole unit suite under AddressSanitizer + UndefinedBehaviorSanitizer (the CLI tests run
# the sanitized binary too).
asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan

# The suites that run code on several threads (label `threads`) under ThreadSanitizer.
tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	@ctest --preset tsan

# What CI runs (.ci/run): the README's test command, then the sanitizer builds.
ci: test asan tsan

# A full train, eval and inspect under valgrind (scripts/valgrind-check.sh; needs valgrind).
valgrind: build
	@bash scripts/valgrind-check.sh build/dev/bin/cofi

bench: bench-load bench-train bench-recommend bench-scale bench-serve

bench-load: release
	@bash bench/run_load_bench.sh

# cofi serve under wrk on loopback: throughput, latency percentiles, memory over 1,000,000 requests.
bench-serve: release
	@bash bench/run_serve_bench.sh

# Needs Debian's python3-torch for the reference side (not a dependency of cofi itself).
bench-train: release
	@bash bench/run_train_bench.sh build/release/bin/cofi

# Batch top-k against the bare matrix product, and fold-in latency (trains its models once).
bench-recommend: release
	@bash bench/run_recommend_bench.sh build/release/bin/cofi

# The large-data solvers on the synthetic 25M set (generated into /tmp/cofi-bench when missing).
bench-scale: release
	@bash bench/run_scale_bench.sh

# Cold start, warm accuracy and ranking of the hybrid and content models (docs/benchmarks.md).
bench-hybrid: release
	@bash bench/hybrid_figures.sh build/release/bin/cofi

clean:
	rm -rf build
