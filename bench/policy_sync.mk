# SPDX-License-Identifier: GPL-2.0-only
# bench/policy_sync: the programs it runs (see bench/policy_sync).
#  - policy_sync_probe: writes the bench-probe policy (a file, or an etcd
#    put) and times until its entry is in the pinned policy map; also
#    waits on xgated's status for an apply (resync timing);
#  - policy_compile_time: the compiler and map sync alone, on private
#    maps, for the breakdown (and for profiling).
# The libraries come from ctrl/*.mk, read before bench/*.mk.

PS_BENCH := $(BUILD)/bench/policy_sync_probe $(BUILD)/bench/policy_compile_time

$(BUILD)/bench/policy_sync_probe: $(BUILD)/bench/src/policy_sync_probe.o \
		$(KV_LIB) $(CTRL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(KV_LDLIBS) $(LDLIBS_BPF)

$(BUILD)/bench/policy_compile_time: $(BUILD)/bench/src/policy_compile_time.o \
		$(POL_LIB) $(DOC_LIB) $(CTRL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DOC_LDLIBS) $(POL_LDLIBS) $(LDLIBS_BPF)

EXTRA_CFLAGS_policy_sync_probe := $(KV_CFLAGS)

all: $(PS_BENCH)
