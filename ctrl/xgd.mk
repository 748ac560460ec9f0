# SPDX-License-Identifier: GPL-2.0-only
# ctrl/: the daemon's own pieces as libxgd.a, plain and sanitized: its
# configuration (libconfig) and the identity allocators (a local file,
# or etcd through ctrl/kv).  A program links $(XGD_LINK) (or
# $(XGD_LINK_SAN)) with $(XGD_LDLIBS): the etcd client, and the two
# objects of libxgctrl.a these use (maglev.o, log.o), named alone so
# that linking does not wait for the datapath skeleton.  Also the program
# tests/integration/identity_etcd_test.sh drives against a real etcd.

XGD_SRCS    := ctrl/config.c ctrl/identity.c ctrl/identity_local.c \
	       ctrl/identity_etcd.c
XGD_LIB     := $(BUILD)/libxgd.a
XGD_LIB_SAN := $(BUILD)/san/libxgd.a
XGD_CFLAGS  := $(shell pkg-config --cflags libconfig 2>/dev/null)
XGD_LDLIBS  := $(or $(shell pkg-config --libs libconfig 2>/dev/null),-lconfig) \
	       $(KV_LDLIBS) $(LDLIBS_BPF)
XGD_LINK     := $(XGD_LIB) $(KV_LIB) $(BUILD)/ctrl/maglev.o $(BUILD)/ctrl/log.o
XGD_LINK_SAN := $(XGD_LIB_SAN) $(KV_LIB_SAN) $(BUILD)/san/ctrl/maglev.o \
		$(BUILD)/san/ctrl/log.o

EXTRA_CFLAGS_config        += $(XGD_CFLAGS)
EXTRA_CFLAGS_identity_etcd += $(KV_CFLAGS)

$(XGD_LIB): $(XGD_SRCS:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(XGD_LIB_SAN): $(XGD_SRCS:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

# Sanitized, as etcd_client: two of them race through every retry path.
XGD_IT_BIN := $(BUILD)/tests/integration/identity_etcd
$(XGD_IT_BIN): $(BUILD)/san/tests/integration/identity_etcd.o $(XGD_LINK_SAN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(XGD_LDLIBS)

all: $(XGD_LIB) $(XGD_LIB_SAN) $(XGD_IT_BIN)
