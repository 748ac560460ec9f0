# SPDX-License-Identifier: GPL-2.0-only
# fastpath/: the L7 fast path as one library (I/O, frames, the flow
# engine, the workers), plain and sanitized.  It stands on the HTTP
# parser (http.mk), the reassembler (reasm.mk) and the matcher (l7.mk);
# FP_LINK / FP_LINK_SAN name all four, FP_LDLIBS what they need.

FP_SRCS     := fastpath/io/io_xsk.c fastpath/pkt/frame.c \
	       fastpath/engine/engine.c fastpath/fastpath.c
FP_LIB      := $(BUILD)/libxgfp.a
FP_LIB_SAN  := $(BUILD)/san/libxgfp.a
URCU_CFLAGS := $(shell pkg-config --cflags liburcu liburcu-cds 2>/dev/null)
FP_LDLIBS   := $(or $(shell pkg-config --libs liburcu-cds liburcu 2>/dev/null),-lurcu-cds -lurcu) \
	       $(L7_LDLIBS) -lpthread
FP_LINK     = $(FP_LIB) $(L7_LIB) $(HTTP_LIB) $(REASM_LIB)
FP_LINK_SAN = $(FP_LIB_SAN) $(L7_LIB_SAN) $(HTTP_LIB_SAN) $(REASM_LIB_SAN)

EXTRA_CFLAGS_engine   += $(URCU_CFLAGS)
EXTRA_CFLAGS_fastpath += $(URCU_CFLAGS)

$(FP_LIB): $(FP_SRCS:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(FP_LIB_SAN): $(FP_SRCS:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

all: $(FP_LIB) $(FP_LIB_SAN)
