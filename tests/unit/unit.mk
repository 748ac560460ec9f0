# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: cmocka tests of ctrl/ (policy compile and sync, entries)
# and of the native map runtime the datapath's native build stands on.
# Each test is built plain and with the sanitizers; `make test-unit` runs
# both (and, from tests/fuzz/fuzz.mk, the fuzz targets over their seeds).

UNIT_TESTS   := test_policy_state test_entries test_native_maps test_rule_parse test_maglev \
		test_pairset
UNIT_COMMON  := tests/lib/native_ms.c
UNIT_LIBS    := -lcmocka $(LDLIBS_BPF)

UNIT_BIN     := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)
UNIT_BIN_SAN := $(UNIT_TESTS:%=$(BUILD)/san/tests/unit/%)

$(UNIT_BIN): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o \
		$(UNIT_COMMON:%.c=$(BUILD)/%.o) $(NATIVE_DP_OBJS) $(CTRL_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(UNIT_LIBS)

$(UNIT_BIN_SAN): $(BUILD)/san/tests/unit/%: $(BUILD)/san/tests/unit/%.o \
		$(UNIT_COMMON:%.c=$(BUILD)/san/%.o) $(NATIVE_DP_OBJS_SAN) \
		$(CTRL_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(UNIT_LIBS)

all: $(UNIT_BIN) $(UNIT_BIN_SAN)

# Every binary runs even when one fails; the target fails if any did.
.PHONY: unit-run
unit-run: $(UNIT_BIN) $(UNIT_BIN_SAN)
	@rc=0; for t in $(UNIT_BIN_SAN) $(UNIT_BIN); do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: unit-run
