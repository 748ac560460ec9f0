# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the daemon's configuration
# (ctrl/config.c), built plain and with the sanitizers; `make test-unit`
# runs both.  Kept apart from unit.mk: it needs libconfig and nothing of
# the datapath.

CONF_UNIT_BIN     := $(BUILD)/tests/unit/test_config
CONF_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_config

# The test reads the shipped config/xgate.conf from the source tree, from
# wherever it is run.
EXTRA_CFLAGS_test_config += -DXG_SRCDIR='"$(CURDIR)"'

$(CONF_UNIT_BIN): $(BUILD)/tests/unit/test_config.o $(XGD_LINK)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(XGD_LDLIBS)

$(CONF_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_config.o $(XGD_LINK_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ -lcmocka $(XGD_LDLIBS)

all: $(CONF_UNIT_BIN) $(CONF_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: config-unit-run
config-unit-run: $(CONF_UNIT_BIN_SAN) $(CONF_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: config-unit-run
