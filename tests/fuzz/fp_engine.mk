# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz: the libFuzzer target for the L7 flow engine
# (fastpath/engine/engine.c) and what it stands on (frames, reassembler,
# HTTP parser, matcher), in the way of fuzz.mk: built with clang
# straight from the sources, `make fuzz` fuzzes it for FUZZ_SECONDS,
# `make fuzz-regress` (and so `make test-unit`) replays its seeds and any
# saved reproducers under tests/fuzz/regress/fuzz_fp_engine/.  Names
# other fragments define (FUZZ_CFLAGS, FUZZ_SECONDS, URCU_CFLAGS,
# FP_LDLIBS, L7_LDLIBS) appear only in recipes, so the order the
# fragments are read in does not matter.

FP_ENGINE_FUZZ_BIN   := $(BUILD)/fuzz/fuzz_fp_engine
FP_ENGINE_FUZZ_SRCS  := tests/fuzz/fuzz_fp_engine.c fastpath/engine/engine.c \
			fastpath/pkt/frame.c fastpath/flow/reasm.c \
			fastpath/http/http_parse.c fastpath/http/http_norm.c \
			fastpath/http/http_body.c fastpath/l7/regex.c \
			fastpath/l7/match.c
FP_ENGINE_FUZZ_HDRS  := $(wildcard fastpath/*/*.h) xdp/abi.h \
			ctrl/policy/compile.h ctrl/err.h tests/fuzz/fp_engine.mk
FP_ENGINE_FUZZ_SEEDS := tests/fuzz/seeds/fuzz_fp_engine
# A stream of up to 4 KiB and a few hundred operations on it.
FP_ENGINE_FUZZ_OPTS  := -max_len=8192 -timeout=10

# liburcu's cds_lfht_for_each_entry() ends every walk with
# caa_container_of(NULL) (the node is the flow's first member: offset 0),
# which clang's pointer-overflow check takes for UB; that one check is
# off here.
FP_ENGINE_FUZZ_FLAGS := -fno-sanitize=pointer-overflow

$(FP_ENGINE_FUZZ_BIN): $(FP_ENGINE_FUZZ_SRCS) $(FP_ENGINE_FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(FP_ENGINE_FUZZ_FLAGS) $(URCU_CFLAGS) -o $@ \
		$(FP_ENGINE_FUZZ_SRCS) \
		$(FP_LDLIBS) $(L7_LDLIBS)

.PHONY: fuzz-run-fuzz_fp_engine fuzz-regress-fuzz_fp_engine
fuzz: fuzz-run-fuzz_fp_engine
fuzz-regress: fuzz-regress-fuzz_fp_engine
test-unit: fuzz-regress-fuzz_fp_engine

fuzz-run-fuzz_fp_engine: $(FP_ENGINE_FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus/fuzz_fp_engine $(BUILD)/fuzz/artifacts
	$(FP_ENGINE_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/fuzz_fp_engine- \
		$(FP_ENGINE_FUZZ_OPTS) $(BUILD)/fuzz/corpus/fuzz_fp_engine \
		$(FP_ENGINE_FUZZ_SEEDS)

fuzz-regress-fuzz_fp_engine: $(FP_ENGINE_FUZZ_BIN)
	$(FP_ENGINE_FUZZ_BIN) -runs=0 $(FP_ENGINE_FUZZ_OPTS) \
		$(FP_ENGINE_FUZZ_SEEDS) $(wildcard tests/fuzz/regress/fuzz_fp_engine)
