# SPDX-License-Identifier: GPL-2.0-only
# ctrl/policy/: the policy compiler (documents -> map contents) and the
# sync that applies its result, as a library for xgated, xgatectl and
# the tests.  Links with libxgdoc.a (documents) and libxgctrl.a (maps),
# and $(POL_LDLIBS): the compiler checks L7 regexes with Hyperscan
# (fastpath/l7/regex.c, the one piece of the fast path it carries).

POL_SRCS    := ctrl/policy/labels.c ctrl/policy/compile.c ctrl/policy/dp_sync.c \
	       ctrl/policy/strpool.c ctrl/policy/strblock.c \
	       ctrl/policy/explain.c fastpath/l7/regex.c
POL_LIB     := $(BUILD)/libxgpol.a
POL_LIB_SAN := $(BUILD)/san/libxgpol.a
POL_LDLIBS  := $(or $(shell pkg-config --libs libhs 2>/dev/null),-lhs) -lpthread

$(POL_LIB): $(POL_SRCS:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(POL_LIB_SAN): $(POL_SRCS:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

all: $(POL_LIB) $(POL_LIB_SAN)
