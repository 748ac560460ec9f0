# SPDX-License-Identifier: GPL-2.0-only
# bench/: l7_matcher, the L7 matcher's ns per request with 1, 100 and
# 10,000 path rules (fastpath/l7/).  Needs only the matcher library.

$(BUILD)/bench/l7_matcher: $(BUILD)/bench/src/l7_matcher.o $(L7_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(L7_LDLIBS)

all: $(BUILD)/bench/l7_matcher
