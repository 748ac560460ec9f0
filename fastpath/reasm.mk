# SPDX-License-Identifier: GPL-2.0-only
# fastpath/flow/: the bounded TCP byte-stream reassembler of the L7 fast
# path as its own library, plain and sanitized.  It needs only libc.

REASM_SRCS    := fastpath/flow/reasm.c
REASM_OBJS    := $(REASM_SRCS:%.c=%.o)
REASM_LIB     := $(BUILD)/libxgreasm.a
REASM_LIB_SAN := $(BUILD)/san/libxgreasm.a

$(REASM_LIB): $(REASM_OBJS:%=$(BUILD)/%)
	$(AR) rcs $@ $^
$(REASM_LIB_SAN): $(REASM_OBJS:%=$(BUILD)/san/%)
	$(AR) rcs $@ $^

all: $(REASM_LIB) $(REASM_LIB_SAN)
