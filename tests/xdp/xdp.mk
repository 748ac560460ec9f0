# SPDX-License-Identifier: GPL-2.0-only
# tests/xdp: the packet table, on the BPF program and the native build.
# The plain binary runs both backends; the sanitized one runs the native
# backend (the BPF program runs in the kernel, out of ASan's reach).

TABLE_SRCS := tests/xdp/test_table.c tests/xdp/table_lib.c tests/xdp/topo.c \
	      tests/xdp/backend_native.c tests/xdp/backend_bpf.c \
	      tests/lib/pktbuild.c tests/lib/native_ms.c
EXTRA_CFLAGS_backend_native := -DXG_NATIVE_EXTERN
TEST_LIBS := -lcmocka $(LDLIBS_BPF)

$(BUILD)/tests/xdp/test_table: $(TABLE_SRCS:%.c=$(BUILD)/%.o) \
		$(NATIVE_DP_OBJS) $(CTRL_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(TEST_LIBS)

$(BUILD)/san/tests/xdp/test_table: $(TABLE_SRCS:%.c=$(BUILD)/san/%.o) \
		$(NATIVE_DP_OBJS_SAN) $(CTRL_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(TEST_LIBS)

all: $(BUILD)/tests/xdp/test_table $(BUILD)/san/tests/xdp/test_table

test-xdp: $(BUILD)/tests/xdp/test_table $(BUILD)/san/tests/xdp/test_table
	$(BUILD)/san/tests/xdp/test_table native
	$(BUILD)/tests/xdp/test_table bpf

# The policy compiler's table: documents -> compiled state -> maps, each
# flow checked with the explainer and on both datapath builds.
COMPILE_SRCS := tests/xdp/test_compile.c tests/xdp/table_lib.c tests/xdp/topo.c \
		tests/xdp/backend_native.c tests/xdp/backend_bpf.c \
		tests/lib/pktbuild.c tests/lib/native_ms.c
COMPILE_LIBS := -lcmocka $(DOC_LDLIBS) $(POL_LDLIBS) $(LDLIBS_BPF)

$(BUILD)/tests/xdp/test_compile: $(COMPILE_SRCS:%.c=$(BUILD)/%.o) \
		$(NATIVE_DP_OBJS) $(POL_LIB) $(DOC_LIB) $(CTRL_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(COMPILE_LIBS)

$(BUILD)/san/tests/xdp/test_compile: $(COMPILE_SRCS:%.c=$(BUILD)/san/%.o) \
		$(NATIVE_DP_OBJS_SAN) $(POL_LIB_SAN) $(DOC_LIB_SAN) $(CTRL_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(COMPILE_LIBS)

all: $(BUILD)/tests/xdp/test_compile $(BUILD)/san/tests/xdp/test_compile

test-xdp: test-compile
.PHONY: test-compile
test-compile: $(BUILD)/tests/xdp/test_compile $(BUILD)/san/tests/xdp/test_compile
	$(BUILD)/san/tests/xdp/test_compile native
	$(BUILD)/tests/xdp/test_compile bpf
