# SPDX-License-Identifier: GPL-2.0-only
# ctrl/kv: kvstore clients.  libxgkv.a is the etcd v3 client (libcurl,
# json-c); a program links it with $(KV_LDLIBS) and ctrl/log.o (in
# libxgctrl.a).  Also the integration test program that drives it
# against a real etcd (tests/integration/etcd_client_test.sh).

KV_SRCS    := ctrl/kv/etcd_stream.c ctrl/kv/etcd.c ctrl/kv/gone.c ctrl/kv/keyset.c
KV_LIB     := $(BUILD)/libxgkv.a
KV_LIB_SAN := $(BUILD)/san/libxgkv.a
# json-c is included as <json-c/json.h>: its own -I would put headers
# named debug.h or linkhash.h on our include path.
KV_CFLAGS  := $(shell pkg-config --cflags libcurl 2>/dev/null)
KV_LDLIBS  := $(or $(shell pkg-config --libs libcurl json-c 2>/dev/null),\
		-lcurl -ljson-c) -lpthread

EXTRA_CFLAGS_etcd        := $(KV_CFLAGS)
EXTRA_CFLAGS_etcd_stream := $(KV_CFLAGS)
EXTRA_CFLAGS_etcd_client := $(KV_CFLAGS)

$(KV_LIB): $(KV_SRCS:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(KV_LIB_SAN): $(KV_SRCS:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

# Sanitized: the test is where bad server input and every error path
# get exercised.
KV_IT_BIN := $(BUILD)/tests/integration/etcd_client
$(KV_IT_BIN): $(BUILD)/san/tests/integration/etcd_client.o $(KV_LIB_SAN) \
		$(BUILD)/san/ctrl/log.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(KV_LDLIBS) $(LDLIBS_BPF)

all: $(KV_LIB) $(KV_LIB_SAN) $(KV_IT_BIN)
