# The README's commands. Each one installs the Debian packages it needs first (when run as root).
JOBS ?= $(shell nproc)

.PHONY: deps test demo bench bench-tls bench-http bench-wardial bench-scalability asan tsan clang fuzz fuzz-short fuzz-build soak clean

deps:
	@scripts/install-deps.sh

test: deps
	cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)
	ctest --preset debug -j $(JOBS)

demo: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target showcase
	build/release/examples/showcase

# aio beside its peers (bench/compare: echo servers and tasks; writes docs/benchmarks.md/.png)
bench:
	AIO_WITH_BENCH=1 scripts/install-deps.sh
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	bench/compare

# aio's TLS echo server beside a C + OpenSSL server, Go, Node, asyncio and uvloop
# (bench/tls_compare: echo and handshake loads; writes docs/tls_benchmarks.md)
bench-tls:
	AIO_WITH_BENCH=1 scripts/install-deps.sh
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	bench/tls_compare

# aio's HTTP server beside hyper, Go net/http, Node http, aiohttp + uvloop, Boost.Beast and a C
# epoll responder, TechEmpower plaintext (plain and pipelined) and json with wrk; then its client
# beside aiohttp's and Go's clients (bench/http_client_compare)
# (bench/http_compare; writes docs/http_benchmarks.md)
bench-http:
	AIO_WITH_BENCH=1 scripts/install-deps.sh
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	bench/http_compare
	bench/http_client_compare

# wardial's full loopback scan beside asyncio's and thread pools' (writes docs/wardial_benchmarks.md)
bench-wardial: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target wardial wardial_threads
	python3 bench/wardial_compare.py build/release

# The talks' table, processes vs threads vs async, measured (writes docs/scalability.md/.png)
bench-scalability: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target echo_server loadgen echo_threads echo_fork
	python3 bench/scalability_compare.py build/release

asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# ThreadSanitizer over the suites where threads meet the loop (executor, threadsafe calls,
# subprocess reaping, signals).
tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan -j $(JOBS)

clang:
	AIO_WITH_CLANG=1 scripts/install-deps.sh
	cmake --preset clang >/dev/null
	cmake --build --preset clang -j $(JOBS)
	ctest --preset clang -j $(JOBS)

# The echo server under 10,000 connections of checked random-size round trips for 10 minutes,
# its RSS and fds reported every minute and checked at the end (bench/soak; AIO_BACKEND picks the
# backend). `make asan` runs a 60-second version with 1,000 connections.
soak: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target echo_server loadgen
	bench/soak build/release 10000 600

# libFuzzer over every fuzz target (fuzz/, clang with ASan; clang 14 cannot build coroutines with
# UBSan and coverage together), FUZZ_RUNS executions each;
# the inputs that reach new code are added to fuzz/corpus/<target>, which `make test` replays.
# `make fuzz-short` (CI) gives each target FUZZ_SECONDS and keeps what it finds out of the tree.
FUZZ_RUNS ?= 10000000
FUZZ_SECONDS ?= 20
FUZZ_TARGETS ?= stream_reader tls_records http_request websocket_frames
fuzz: fuzz-build
	for t in $(FUZZ_TARGETS); do \
	  build/fuzz/fuzz/$${t}_fuzz -runs=$(FUZZ_RUNS) -max_len=512 fuzz/corpus/$$t || exit 1; \
	done

fuzz-short: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  found=$$(mktemp -d); \
	  build/fuzz/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=512 -print_final_stats=1 \
	    $$found fuzz/corpus/$$t >$$found.log 2>&1; status=$$?; \
	  if [ $$status = 0 ]; then \
	    echo "$$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' $$found.log) inputs, no failure"; \
	  else tail -n 60 $$found.log; fi; \
	  rm -rf $$found $$found.log; [ $$status = 0 ] || exit 1; \
	done

fuzz-build:
	AIO_WITH_CLANG=1 scripts/install-deps.sh
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target $(addsuffix _fuzz,$(FUZZ_TARGETS))

clean:
	rm -rf build
