# SPDX-License-Identifier: GPL-2.0-only
# ctrl/policy/: the policy compiler (documents -> map contents) and the
# sync that applies its result, as a library for xgated, xgatectl and
# the tests.  Links with libxgdoc.a (documents) and libxgctrl.a (maps).

POL_SRCS    := ctrl/policy/labels.c ctrl/policy/compile.c ctrl/policy/dp_sync.c \
	       ctrl/policy/explain.c
POL_LIB     := $(BUILD)/libxgpol.a
POL_LIB_SAN := $(BUILD)/san/libxgpol.a

$(POL_LIB): $(POL_SRCS:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(POL_LIB_SAN): $(POL_SRCS:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

all: $(POL_LIB) $(POL_LIB_SAN)
