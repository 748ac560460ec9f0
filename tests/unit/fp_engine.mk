# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the L7 flow engine
# (fastpath/engine/engine.c): client segments with XDP's metadata in,
# the frames it sends out recorded and parsed back.  Built plain and with
# the sanitizers; `make test-unit` runs both.  It needs the fast path's
# libraries (engine, frames, matcher, HTTP, reassembler) and liburcu;
# the rulesets are written by hand, so nothing of ctrl/ is linked.
# L7_LDLIBS again: fastpath.mk is read before l7.mk, so its FP_LDLIBS
# (:=) may lack it.

FP_ENGINE_UNIT_BIN     := $(BUILD)/tests/unit/test_fp_engine
FP_ENGINE_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_fp_engine

# The test is an RCU reader (urcu.h).
EXTRA_CFLAGS_test_fp_engine += $(URCU_CFLAGS)

# The libraries come from fastpath/*.mk: expanded a second time, when
# make has read every fragment, whatever the order.
.SECONDEXPANSION:
$(FP_ENGINE_UNIT_BIN): $(BUILD)/tests/unit/test_fp_engine.o $$(FP_LINK)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(FP_LDLIBS) $(L7_LDLIBS)

$(FP_ENGINE_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_fp_engine.o \
		$$(FP_LINK_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ -lcmocka $(FP_LDLIBS) $(L7_LDLIBS)

all: $(FP_ENGINE_UNIT_BIN) $(FP_ENGINE_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: fp-engine-unit-run
fp-engine-unit-run: $(FP_ENGINE_UNIT_BIN_SAN) $(FP_ENGINE_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: fp-engine-unit-run
