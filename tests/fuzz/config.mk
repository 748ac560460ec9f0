# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz: the libFuzzer target for the daemon's configuration
# (ctrl/config.c over libconfig), in the way of fuzz.mk: built with clang
# straight from the sources, `make fuzz` fuzzes it for FUZZ_SECONDS,
# `make fuzz-regress` (and so `make test-unit`) replays its seeds and any
# saved reproducers under tests/fuzz/regress/fuzz_config/.  Names fuzz.mk
# defines (FUZZ_CFLAGS, FUZZ_SECONDS) appear only in recipes: this file
# is read before it.

CONF_FUZZ_BIN   := $(BUILD)/fuzz/fuzz_config
CONF_FUZZ_SRCS  := tests/fuzz/fuzz_config.c ctrl/config.c ctrl/maglev.c
CONF_FUZZ_HDRS  := $(wildcard ctrl/*.h xdp/abi.h) tests/fuzz/config.mk
CONF_FUZZ_SEEDS := tests/fuzz/seeds/fuzz_config
# The shipped config is under 6 KiB; twice that and more leaves room for
# lists past their limits (16 interfaces, 16 endpoints of 255 bytes).
CONF_FUZZ_OPTS  := -max_len=16384 -timeout=10 -dict=tests/fuzz/config.dict

$(CONF_FUZZ_BIN): $(CONF_FUZZ_SRCS) $(CONF_FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(XGD_CFLAGS) -o $@ $(CONF_FUZZ_SRCS) \
		$(or $(shell pkg-config --libs libconfig 2>/dev/null),-lconfig)

.PHONY: fuzz-run-fuzz_config fuzz-regress-fuzz_config
fuzz: fuzz-run-fuzz_config
fuzz-regress: fuzz-regress-fuzz_config
test-unit: fuzz-regress-fuzz_config

fuzz-run-fuzz_config: $(CONF_FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus/fuzz_config $(BUILD)/fuzz/artifacts
	$(CONF_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/fuzz_config- \
		$(CONF_FUZZ_OPTS) $(BUILD)/fuzz/corpus/fuzz_config \
		$(CONF_FUZZ_SEEDS)

fuzz-regress-fuzz_config: $(CONF_FUZZ_BIN)
	$(CONF_FUZZ_BIN) -runs=0 $(CONF_FUZZ_OPTS) $(CONF_FUZZ_SEEDS) \
		$(wildcard tests/fuzz/regress/fuzz_config)
