# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the TCP byte-stream reassembler
# (fastpath/flow/reasm.c), built plain and with the sanitizers; `make
# test-unit` runs both.  It needs libxgreasm.a alone.

REASM_UNIT_BIN     := $(BUILD)/tests/unit/test_reasm
REASM_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_reasm

$(REASM_UNIT_BIN): $(BUILD)/tests/unit/test_reasm.o $(REASM_LIB)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka

$(REASM_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_reasm.o $(REASM_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ -lcmocka

all: $(REASM_UNIT_BIN) $(REASM_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: reasm-unit-run
reasm-unit-run: $(REASM_UNIT_BIN_SAN) $(REASM_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: reasm-unit-run
