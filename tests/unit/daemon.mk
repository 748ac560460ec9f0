# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the daemon's document path (the event
# queue, the document store, the file kvstore), built plain and with
# the sanitizers; `make test-unit` runs both.  It links the three
# daemon objects alone rather than xgated's whole list: they need only
# the document parser and the logger.  log.o refers to libbpf's and
# libxdp's print hooks, hence $(LDLIBS_BPF).  Every variable used here
# comes from the top Makefile or a ctrl/*.mk, all included before
# tests/*/*.mk, so no second expansion is needed.

DAEMON_UNIT_SRCS    := ctrl/daemon/evq.c ctrl/daemon/docstore.c \
		       ctrl/daemon/store_file.c ctrl/log.c
DAEMON_UNIT_BIN     := $(BUILD)/tests/unit/test_daemon_store
DAEMON_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_daemon_store
DAEMON_UNIT_LIBS    := -lcmocka $(DOC_LDLIBS) $(LDLIBS_BPF) -lpthread

$(DAEMON_UNIT_BIN): $(BUILD)/tests/unit/test_daemon_store.o \
		$(DAEMON_UNIT_SRCS:%.c=$(BUILD)/%.o) $(DOC_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(DAEMON_UNIT_LIBS)

$(DAEMON_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_daemon_store.o \
		$(DAEMON_UNIT_SRCS:%.c=$(BUILD)/san/%.o) $(DOC_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(DAEMON_UNIT_LIBS)

all: $(DAEMON_UNIT_BIN) $(DAEMON_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: daemon-unit-run
daemon-unit-run: $(DAEMON_UNIT_BIN_SAN) $(DAEMON_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: daemon-unit-run
