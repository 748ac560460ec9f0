# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of ctrl/policy/strblock.c (records and
# their strings in one refcounted block), built plain and with the
# sanitizers; `make test-unit` runs both.

STRBLOCK_UNIT_BIN     := $(BUILD)/tests/unit/test_strblock
STRBLOCK_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_strblock

$(STRBLOCK_UNIT_BIN): $(BUILD)/tests/unit/test_strblock.o \
		$(BUILD)/ctrl/policy/strblock.o
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka

$(STRBLOCK_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_strblock.o \
		$(BUILD)/san/ctrl/policy/strblock.o
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ -lcmocka

all: $(STRBLOCK_UNIT_BIN) $(STRBLOCK_UNIT_BIN_SAN)

.PHONY: strblock-unit-run
strblock-unit-run: $(STRBLOCK_UNIT_BIN_SAN) $(STRBLOCK_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: strblock-unit-run
