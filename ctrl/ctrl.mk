# SPDX-License-Identifier: GPL-2.0-only
# ctrl/: the control-plane library the daemon, xgatectl and tests link.

XDP_HDRS := $(wildcard xdp/*.h)
XDP_SKEL := $(BUILD)/xdp/xgate.skel.h

$(BUILD)/xdp/xgate.bpf.o: xdp/xgate.bpf.c $(XDP_HDRS)

CTRL_SRCS := ctrl/log.c ctrl/mapset_bpf.c ctrl/entries.c ctrl/policy_state.c \
	     ctrl/loader.c ctrl/rule_parse.c ctrl/maglev.c ctrl/services.c
CTRL_LIB     := $(BUILD)/libxgctrl.a
CTRL_LIB_SAN := $(BUILD)/san/libxgctrl.a

# loader.c includes the generated skeleton
$(BUILD)/ctrl/loader.o $(BUILD)/san/ctrl/loader.o: $(XDP_SKEL)

$(CTRL_LIB): $(CTRL_SRCS:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(CTRL_LIB_SAN): $(CTRL_SRCS:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

all: $(CTRL_LIB) $(CTRL_LIB_SAN)
