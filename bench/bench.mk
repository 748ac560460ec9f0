# SPDX-License-Identifier: GPL-2.0-only
# bench/: measurement programs the bench/ scripts run.
$(BUILD)/bench/xdp_policy_ns: $(BUILD)/bench/src/xdp_policy_ns.o \
		$(BUILD)/tests/lib/pktbuild.o $(CTRL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF)

all: $(BUILD)/bench/xdp_policy_ns

$(BUILD)/bench/progs/newflow_driver.bpf.o: bench/progs/newflow_driver.bpf.c
$(BUILD)/bench/progs/ct_floor.bpf.o: bench/progs/ct_floor.bpf.c xdp/abi.h
$(BUILD)/bench/src/xdp_policy_ns.o: $(BUILD)/bench/progs/newflow_driver.skel.h \
		$(BUILD)/bench/progs/ct_floor.skel.h
