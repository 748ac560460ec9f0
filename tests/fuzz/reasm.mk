# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz: the libFuzzer target for the TCP byte-stream reassembler
# (fastpath/flow/reasm.c), in the way of fuzz.mk: built with clang
# straight from the sources, `make fuzz` fuzzes it for FUZZ_SECONDS,
# `make fuzz-regress` (and so `make test-unit`) replays its seeds and any
# saved reproducers under tests/fuzz/regress/fuzz_reasm/.  Names fuzz.mk
# defines (FUZZ_CFLAGS, FUZZ_SECONDS) appear only in recipes, so the
# order the fragments are read in does not matter.

REASM_FUZZ_BIN   := $(BUILD)/fuzz/fuzz_reasm
REASM_FUZZ_SRCS  := tests/fuzz/fuzz_reasm.c fastpath/flow/reasm.c
REASM_FUZZ_HDRS  := fastpath/flow/reasm.h tests/fuzz/reasm.mk
REASM_FUZZ_SEEDS := tests/fuzz/seeds/fuzz_reasm
# A script of a few hundred operations; each is checked against a model
# in O(window), so longer inputs only slow the search down.
REASM_FUZZ_OPTS  := -max_len=2048 -timeout=10

$(REASM_FUZZ_BIN): $(REASM_FUZZ_SRCS) $(REASM_FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(REASM_FUZZ_SRCS)

.PHONY: fuzz-run-fuzz_reasm fuzz-regress-fuzz_reasm
fuzz: fuzz-run-fuzz_reasm
fuzz-regress: fuzz-regress-fuzz_reasm
test-unit: fuzz-regress-fuzz_reasm

fuzz-run-fuzz_reasm: $(REASM_FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus/fuzz_reasm $(BUILD)/fuzz/artifacts
	$(REASM_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/fuzz_reasm- \
		$(REASM_FUZZ_OPTS) $(BUILD)/fuzz/corpus/fuzz_reasm \
		$(REASM_FUZZ_SEEDS)

fuzz-regress-fuzz_reasm: $(REASM_FUZZ_BIN)
	$(REASM_FUZZ_BIN) -runs=0 $(REASM_FUZZ_OPTS) $(REASM_FUZZ_SEEDS) \
		$(wildcard tests/fuzz/regress/fuzz_reasm)
