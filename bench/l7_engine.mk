# SPDX-License-Identifier: GPL-2.0-only
# bench/: l7_engine, the L7 flow engine's ns per allowed request with 1,
# 50 and 10,000 keep-alive flows (fastpath/engine/, no kernel).  The
# libraries come from fastpath/*.mk, expanded when make has read every
# fragment (as tests/unit/fp_engine.mk links them).

EXTRA_CFLAGS_l7_engine += $(URCU_CFLAGS)

.SECONDEXPANSION:
$(BUILD)/bench/l7_engine: $(BUILD)/bench/src/l7_engine.o $$(FP_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(FP_LDLIBS) $(L7_LDLIBS)

all: $(BUILD)/bench/l7_engine
