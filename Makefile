# SPDX-License-Identifier: GPL-2.0-only
#
# xgate top-level build.  `make` builds everything with warnings as errors;
# `make test` installs missing packages, builds and runs every suite;
# `make deps` only installs.  Each folder adds its targets in a *.mk file.

BUILD      ?= build
CC         ?= gcc
CLANG      ?= clang
BPFTOOL    ?= bpftool
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VMLINUX_H   := $(BUILD)/vmlinux.h

BPF_CFLAGS := -target bpf -g -O2 -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
	      -I$(BUILD) -Ixdp
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	      -D_GNU_SOURCE -I. -I$(BUILD)
LDLIBS_BPF := -lxdp -lbpf -lelf -lz

# Sanitizer build of the userspace unit tests and the native datapath.
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined

# Generated files are kept: skeletons are read by humans too.
.SECONDARY:

.PHONY: all deps test test-unit test-xdp test-integration clean fuzz bench
all:

$(BUILD):
	@mkdir -p $@

$(VMLINUX_H): | $(BUILD)
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

# BPF object -> skeleton, for any foo.bpf.c listed by a fragment.
$(BUILD)/%.bpf.o: | $(VMLINUX_H)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$(notdir $*))_bpf > $@.tmp && mv $@.tmp $@

# Userspace objects: plain under $(BUILD)/, sanitized under $(BUILD)/san/.
# Header dependencies come from -MMD.
$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(EXTRA_CFLAGS_$(notdir $*)) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS_$(notdir $*)) -MMD -MP -c $< -o $@

include $(wildcard xdp/*.mk ctrl/*.mk fastpath/*.mk tools/*.mk tools/*/*.mk tests/*.mk tests/*/*.mk bench/*.mk)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

deps:
	@tools/deps.sh

test: deps
	$(MAKE) all
	$(MAKE) test-unit test-xdp test-integration

clean:
	rm -rf $(BUILD)

# The README's run command: set up, build, and run the lab demo.
demo: deps
	$(MAKE) all
	tools/demo.sh
.PHONY: demo
