# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz: the libFuzzer target for the document parser (ctrl/doc/),
# in the way of fuzz.mk: built with clang straight from the sources,
# `make fuzz` fuzzes it for FUZZ_SECONDS, `make fuzz-regress` (and so
# `make test-unit`) replays its seeds and any saved reproducers under
# tests/fuzz/regress/fuzz_doc/.  Names fuzz.mk defines (FUZZ_CFLAGS,
# FUZZ_SECONDS) appear only in recipes: this file is read before it.

DOC_FUZZ_BIN   := $(BUILD)/fuzz/fuzz_doc
DOC_FUZZ_SRCS  := tests/fuzz/fuzz_doc.c $(DOC_SRCS) ctrl/entries.c
DOC_FUZZ_HDRS  := $(wildcard ctrl/doc/*.h ctrl/*.h xdp/abi.h) tests/fuzz/doc.mk
DOC_FUZZ_SEEDS := tests/fuzz/seeds/fuzz_doc
# Policies are small; 16 KiB leaves room for nesting and long lists.
# An input that takes seconds is a bug (libfyaml has had endless loops).
DOC_FUZZ_OPTS  := -max_len=16384 -timeout=10 -dict=tests/fuzz/doc.dict

$(DOC_FUZZ_BIN): $(DOC_FUZZ_SRCS) $(DOC_FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(DOC_CFLAGS) -o $@ $(DOC_FUZZ_SRCS) \
		$(DOC_LDLIBS)

.PHONY: fuzz-run-fuzz_doc fuzz-regress-fuzz_doc
fuzz: fuzz-run-fuzz_doc
fuzz-regress: fuzz-regress-fuzz_doc

fuzz-run-fuzz_doc: $(DOC_FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus/fuzz_doc $(BUILD)/fuzz/artifacts
	$(DOC_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/fuzz_doc- \
		$(DOC_FUZZ_OPTS) $(BUILD)/fuzz/corpus/fuzz_doc $(DOC_FUZZ_SEEDS)

fuzz-regress-fuzz_doc: $(DOC_FUZZ_BIN)
	$(DOC_FUZZ_BIN) -runs=0 $(DOC_FUZZ_OPTS) $(DOC_FUZZ_SEEDS) \
		$(wildcard tests/fuzz/regress/fuzz_doc)
