# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz: libFuzzer targets for the packet parser and pipeline
# (native build), for prefix parsing and for rule lines.  Built with
# clang straight from the sources (not via the gcc object rules), so they
# are not part of `all`; `make fuzz` fuzzes each for FUZZ_SECONDS, and
# `make test-unit` replays the committed seeds through them (no fuzzing
# time).

FUZZ_SECONDS ?= 30
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SEEDS   := tests/fuzz/seeds
FUZZ_TARGETS := fuzz_parse fuzz_prefix fuzz_rule
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
FUZZ_CFLAGS  := -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
		-g -O1 -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
		-D_GNU_SOURCE -I. -I$(BUILD)
# Every header a target's sources may include, and this file (flags).
FUZZ_HDRS    := $(wildcard xdp/*.h xdp/native/*.h ctrl/*.h) \
		tests/lib/native_ms.h tests/fuzz/fuzz.mk

FUZZ_SRCS_fuzz_parse  := tests/fuzz/fuzz_parse.c tests/lib/native_ms.c \
			 xdp/native/runtime.c xdp/native/datapath.c \
			 ctrl/entries.c ctrl/policy_state.c
FUZZ_SRCS_fuzz_prefix := tests/fuzz/fuzz_prefix.c ctrl/entries.c
# policy_state.c for xg_policy_compile; entries.c for its sync path's
# xg_policy_rev_bump.
FUZZ_SRCS_fuzz_rule   := tests/fuzz/fuzz_rule.c ctrl/rule_parse.c \
			 ctrl/policy_state.c ctrl/entries.c

# Small flow tables: each input starts from empty ones (fuzz_parse.c),
# and emptying a million-entry table per input would be most of the work.
FUZZ_DEFS_fuzz_parse  := -DXG_CT_MAX=1024 -DXG_DENYCACHE_MAX=1024 \
			 -DXG_FRAG_MAX=1024 -DXG_IPCACHE_MAX=1024 \
			 -DXG_POLICY_MAX=1024

FUZZ_OPTS_fuzz_parse  := -max_len=2048
FUZZ_OPTS_fuzz_prefix := -max_len=256 -dict=tests/fuzz/prefix.dict
# Past the 1024-byte line limit.
FUZZ_OPTS_fuzz_rule   := -max_len=1100

$(FUZZ_DIR)/fuzz_parse: $(FUZZ_SRCS_fuzz_parse) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_DEFS_fuzz_parse) -o $@ \
		$(FUZZ_SRCS_fuzz_parse)

$(FUZZ_DIR)/fuzz_prefix: $(FUZZ_SRCS_fuzz_prefix) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRCS_fuzz_prefix)

$(FUZZ_DIR)/fuzz_rule: $(FUZZ_SRCS_fuzz_rule) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRCS_fuzz_rule)

# Fuzzing: new inputs go to $(FUZZ_DIR)/corpus/<target> (the committed
# seeds stay as they are), crashes to $(FUZZ_DIR)/artifacts/.
.PHONY: fuzz fuzz-regress fuzz-seeds $(FUZZ_TARGETS:%=fuzz-run-%) \
	$(FUZZ_TARGETS:%=fuzz-regress-%)
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)

$(FUZZ_TARGETS:%=fuzz-run-%): fuzz-run-%: $(FUZZ_DIR)/%
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts
	$(FUZZ_DIR)/$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/artifacts/$*- $(FUZZ_OPTS_$*) \
		$(FUZZ_DIR)/corpus/$* $(FUZZ_SEEDS)/$*

# Regression: every seed (and every saved crash reproducer under
# tests/fuzz/regress/<target>/, if any) runs once.
fuzz-regress: $(FUZZ_TARGETS:%=fuzz-regress-%)

$(FUZZ_TARGETS:%=fuzz-regress-%): fuzz-regress-%: $(FUZZ_DIR)/%
	$(FUZZ_DIR)/$* -runs=0 $(FUZZ_OPTS_$*) $(FUZZ_SEEDS)/$* \
		$(wildcard tests/fuzz/regress/$*)

test-unit: fuzz-regress

# Regenerates the committed packet and prefix seeds (fuzz_rule's are
# hand-written lines).
$(BUILD)/tests/fuzz/gen_seeds: $(BUILD)/tests/fuzz/gen_seeds.o \
		$(BUILD)/tests/lib/pktbuild.o
	$(CC) $(CFLAGS) -o $@ $^

fuzz-seeds: $(BUILD)/tests/fuzz/gen_seeds
	rm -rf $(FUZZ_SEEDS)/fuzz_parse $(FUZZ_SEEDS)/fuzz_prefix
	mkdir -p $(FUZZ_SEEDS)/fuzz_parse $(FUZZ_SEEDS)/fuzz_prefix
	$< $(FUZZ_SEEDS)
