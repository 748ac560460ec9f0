# SPDX-License-Identifier: GPL-2.0-only
XGATECTL_OBJS := $(BUILD)/tools/xgatectl/xgatectl.o $(BUILD)/tools/xgatectl/api.o

$(BUILD)/xgatectl: $(XGATECTL_OBJS) $(CTRL_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF) -ljson-c

all: $(BUILD)/xgatectl
