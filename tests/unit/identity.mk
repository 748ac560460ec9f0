# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the local identity allocator
# (ctrl/identity.c, ctrl/identity_local.c), and the daemon's batch
# numbering of new label sets (ctrl/daemon/id_batch.c), built plain and
# with the
# sanitizers; `make test-unit` runs both.  The etcd allocator is tested
# against a real etcd: tests/integration/identity_etcd_test.sh.

ID_UNIT_BIN     := $(BUILD)/tests/unit/test_identity
ID_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_identity

# and the daemon's batch numbering of new label sets (id_batch.c), over
# a real document store
ID_UNIT_DAEMON := ctrl/daemon/id_batch.c ctrl/daemon/docstore.c \
		  ctrl/policy/labels.c

$(ID_UNIT_BIN): $(BUILD)/tests/unit/test_identity.o \
		$(ID_UNIT_DAEMON:%.c=$(BUILD)/%.o) $(XGD_LINK) $(DOC_LIB)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(XGD_LDLIBS) $(DOC_LDLIBS) -lpthread

$(ID_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_identity.o \
		$(ID_UNIT_DAEMON:%.c=$(BUILD)/san/%.o) $(XGD_LINK_SAN) \
		$(DOC_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ -lcmocka $(XGD_LDLIBS) \
		$(DOC_LDLIBS) -lpthread

all: $(ID_UNIT_BIN) $(ID_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: identity-unit-run
identity-unit-run: $(ID_UNIT_BIN_SAN) $(ID_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: identity-unit-run
