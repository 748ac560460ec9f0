# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz: the libFuzzer target for the HTTP head parser, normaliser
# and body follower (fastpath/http/), in the way of fuzz.mk: built with
# clang straight from the sources, `make fuzz` fuzzes it for
# FUZZ_SECONDS, `make fuzz-regress` (and so `make test-unit`) replays its
# seeds and any saved reproducers under tests/fuzz/regress/fuzz_http/.
# Names fuzz.mk defines (FUZZ_CFLAGS, FUZZ_SECONDS) appear only in
# recipes.

HTTP_FUZZ_BIN   := $(BUILD)/fuzz/fuzz_http
HTTP_FUZZ_SRCS  := tests/fuzz/fuzz_http.c $(HTTP_SRCS)
HTTP_FUZZ_HDRS  := $(wildcard fastpath/http/*.h) tests/fuzz/http.mk
HTTP_FUZZ_SEEDS := tests/fuzz/seeds/fuzz_http
# Two heads of the default 8 KiB limit and their bodies, pipelined.  Each
# input is run six times (two limits, three ways of splitting), one a
# byte at a time: seconds for one input is a bug (a lost linear bound).
HTTP_FUZZ_OPTS  := -max_len=20000 -timeout=10

$(HTTP_FUZZ_BIN): $(HTTP_FUZZ_SRCS) $(HTTP_FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(HTTP_FUZZ_SRCS)

.PHONY: fuzz-run-fuzz_http fuzz-regress-fuzz_http
fuzz: fuzz-run-fuzz_http
fuzz-regress: fuzz-regress-fuzz_http
test-unit: fuzz-regress-fuzz_http

fuzz-run-fuzz_http: $(HTTP_FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus/fuzz_http $(BUILD)/fuzz/artifacts
	$(HTTP_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/fuzz_http- \
		$(HTTP_FUZZ_OPTS) $(BUILD)/fuzz/corpus/fuzz_http \
		$(HTTP_FUZZ_SEEDS)

fuzz-regress-fuzz_http: $(HTTP_FUZZ_BIN)
	$(HTTP_FUZZ_BIN) -runs=0 $(HTTP_FUZZ_OPTS) $(HTTP_FUZZ_SEEDS) \
		$(wildcard tests/fuzz/regress/fuzz_http)
