# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: cmocka tests of ctrl/kv's etcd decoding and catch-up
# search (no server), built plain and with the sanitizers like
# unit.mk's; `make test-unit` runs both.

KV_UNIT_TESTS   := test_etcd_stream test_etcd_catchup
KV_UNIT_BIN     := $(KV_UNIT_TESTS:%=$(BUILD)/tests/unit/%)
KV_UNIT_BIN_SAN := $(KV_UNIT_TESTS:%=$(BUILD)/san/tests/unit/%)
KV_UNIT_LIBS    := -lcmocka $(KV_LDLIBS)

EXTRA_CFLAGS_test_etcd_stream := $(KV_CFLAGS)

$(KV_UNIT_BIN): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o \
		$(BUILD)/ctrl/kv/etcd_stream.o $(BUILD)/ctrl/kv/gone.o \
		$(BUILD)/ctrl/kv/keyset.o
	$(CC) $(CFLAGS) -o $@ $^ $(KV_UNIT_LIBS)

$(KV_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/%: $(BUILD)/san/tests/unit/%.o \
		$(BUILD)/san/ctrl/kv/etcd_stream.o $(BUILD)/san/ctrl/kv/gone.o \
		$(BUILD)/san/ctrl/kv/keyset.o
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(KV_UNIT_LIBS)

all: $(KV_UNIT_BIN) $(KV_UNIT_BIN_SAN)

.PHONY: etcd-unit-run
etcd-unit-run: $(KV_UNIT_BIN) $(KV_UNIT_BIN_SAN)
	@rc=0; for t in $(KV_UNIT_BIN_SAN) $(KV_UNIT_BIN); do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: etcd-unit-run
