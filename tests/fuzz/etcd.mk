# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz: libFuzzer target for ctrl/kv's etcd stream splitter and
# decoders, on fuzz.mk's pattern: built with clang straight from the
# sources, `make fuzz` fuzzes it for FUZZ_SECONDS, `make test-unit`
# replays its seeds.  This file is read before fuzz.mk, so it names its
# own paths rather than using fuzz.mk's (recipes may use them: they are
# expanded after every file is read).

KV_FUZZ_DIR   := $(BUILD)/fuzz
KV_FUZZ_SEEDS := tests/fuzz/seeds/fuzz_etcd_stream
KV_FUZZ_BIN   := $(KV_FUZZ_DIR)/fuzz_etcd_stream
KV_FUZZ_SRCS  := tests/fuzz/fuzz_etcd_stream.c ctrl/kv/etcd_stream.c
KV_FUZZ_HDRS  := ctrl/kv/etcd_stream.h ctrl/err.h tests/fuzz/etcd.mk
# Past the fuzz target's 2048-byte line limit, with room for a few lines.
KV_FUZZ_OPTS  := -max_len=8192

$(KV_FUZZ_BIN): $(KV_FUZZ_SRCS) $(KV_FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(KV_FUZZ_SRCS) \
		$(or $(shell pkg-config --libs json-c 2>/dev/null),-ljson-c)

.PHONY: fuzz-run-fuzz_etcd_stream fuzz-regress-fuzz_etcd_stream
fuzz: fuzz-run-fuzz_etcd_stream
fuzz-run-fuzz_etcd_stream: $(KV_FUZZ_BIN)
	@mkdir -p $(KV_FUZZ_DIR)/corpus/fuzz_etcd_stream $(KV_FUZZ_DIR)/artifacts
	$(KV_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(KV_FUZZ_DIR)/artifacts/fuzz_etcd_stream- \
		$(KV_FUZZ_OPTS) $(KV_FUZZ_DIR)/corpus/fuzz_etcd_stream \
		$(KV_FUZZ_SEEDS)

fuzz-regress: fuzz-regress-fuzz_etcd_stream
test-unit: fuzz-regress-fuzz_etcd_stream
fuzz-regress-fuzz_etcd_stream: $(KV_FUZZ_BIN)
	$(KV_FUZZ_BIN) -runs=0 $(KV_FUZZ_OPTS) $(KV_FUZZ_SEEDS) \
		$(wildcard tests/fuzz/regress/fuzz_etcd_stream)
