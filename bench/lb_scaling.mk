# SPDX-License-Identifier: GPL-2.0-only
# bench/lb_scaling: the programs it runs (see bench/lb_scaling).

LB_BENCH := $(BUILD)/bench/lb_scaling_ns $(BUILD)/bench/lb_populate \
	    $(BUILD)/bench/connect_lat

# The Maglev table size is becoming a load-time setting; until every tree
# has it, use it where it exists (loader option or load-time config) and
# stay with the compiled-in size elsewhere.
LB_M_DEF := $(shell \
	if awk '/^struct xg_loader_opts/,/^};/' ctrl/loader.h 2>/dev/null | \
		grep -Eq '^[[:space:]]*__u32[^/]*[ ,]maglev_m[;,]'; then \
		echo -DLB_OPTS_MAGLEV_M; \
	elif awk '/^struct xg_config/,/^};/' xdp/abi.h 2>/dev/null | \
		grep -Eq '^[[:space:]]*__u32[^/]*[ ,]maglev_m[;,]'; then \
		echo -DLB_CFG_MAGLEV_M; fi)
EXTRA_CFLAGS_lb_scaling_ns := $(LB_M_DEF)

$(BUILD)/bench/lb_scaling_ns: $(BUILD)/bench/src/lb_scaling_ns.o \
		$(BUILD)/tests/lib/pktbuild.o $(CTRL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF)

$(BUILD)/bench/lb_populate: $(BUILD)/bench/src/lb_populate.o $(CTRL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF)

# Plain sockets: no libbpf, so it runs anywhere the lab's clients do.
$(BUILD)/bench/connect_lat: $(BUILD)/bench/src/connect_lat.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lm

all: $(LB_BENCH)

$(BUILD)/bench/progs/lb_newflow_driver.bpf.o: bench/progs/lb_newflow_driver.bpf.c
$(BUILD)/bench/src/lb_scaling_ns.o: $(BUILD)/bench/progs/lb_newflow_driver.skel.h
