# SPDX-License-Identifier: GPL-2.0-only
# tools/pktgen/: xgate-pktgen (a BPF_PROG_RUN live-frames generator) and
# the XDP programs the bench rig loads on its receivers (bench/progs/).

PKTGEN_DIR  := $(BUILD)/tools/pktgen
PKTGEN_SKEL := $(PKTGEN_DIR)/xgate_pktgen.skel.h
PKTGEN_OBJS := $(addprefix $(PKTGEN_DIR)/,xgate-pktgen.o frame.o netdev.o)

$(PKTGEN_DIR)/xgate_pktgen.bpf.o: tools/pktgen/xgate_pktgen.bpf.c \
	tools/pktgen/pktgen.h

# Objects come from the top Makefile's $(BUILD)/%.o rule.
EXTRA_CFLAGS_xgate-pktgen := -I$(PKTGEN_DIR)
$(PKTGEN_DIR)/xgate-pktgen.o: $(PKTGEN_SKEL)

$(BUILD)/xgate-pktgen: $(PKTGEN_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS_BPF) -lm

# Receivers for bench/lib/rig.sh.
BENCH_PROGS := $(BUILD)/bench/progs/xdp_drop.bpf.o \
	       $(BUILD)/bench/progs/xdp_parse_drop.bpf.o

$(BUILD)/bench/progs/xdp_drop.bpf.o: bench/progs/xdp_drop.bpf.c
$(BUILD)/bench/progs/xdp_parse_drop.bpf.o: bench/progs/xdp_parse_drop.bpf.c

all: $(BUILD)/xgate-pktgen $(BENCH_PROGS)
