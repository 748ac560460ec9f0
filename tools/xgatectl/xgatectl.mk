# SPDX-License-Identifier: GPL-2.0-only
$(BUILD)/xgatectl: $(BUILD)/tools/xgatectl/xgatectl.o $(CTRL_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF)

all: $(BUILD)/xgatectl
