# SPDX-License-Identifier: GPL-2.0-only
# fastpath/l7/: the L7 rule matcher the fast path's workers run
# (Hyperscan), as a library, plain and sanitized.  A program links
# $(L7_LIB) (or $(L7_LIB_SAN)) with $(L7_LDLIBS).  regex.o alone is also
# in the policy library (ctrl/policy.mk): the compiler checks regexes
# with it.

L7_SRCS     := fastpath/l7/regex.c fastpath/l7/match.c
L7_LIB      := $(BUILD)/libxgl7.a
L7_LIB_SAN  := $(BUILD)/san/libxgl7.a
L7_LDLIBS   := $(or $(shell pkg-config --libs libhs 2>/dev/null),-lhs)

$(L7_LIB): $(L7_SRCS:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(L7_LIB_SAN): $(L7_SRCS:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

all: $(L7_LIB) $(L7_LIB_SAN)
