# SPDX-License-Identifier: GPL-2.0-only
# xdp/: the BPF object (see ctrl.mk for its skeleton) and the same
# datapath built as native C for tests and fuzzing.

NATIVE_DP_SRCS := xdp/native/runtime.c xdp/native/datapath.c
NATIVE_DP_OBJS     := $(NATIVE_DP_SRCS:%.c=$(BUILD)/%.o)
NATIVE_DP_OBJS_SAN := $(NATIVE_DP_SRCS:%.c=$(BUILD)/san/%.o)

all: $(BUILD)/xdp/xgate.bpf.o $(NATIVE_DP_OBJS) $(NATIVE_DP_OBJS_SAN)
