# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the L7 rule matcher (fastpath/l7/) and
# of the compiler's L7 rulesets (ids, merging, regex checks), built plain
# and with the sanitizers; `make test-unit` runs both.  It parses and
# compiles documents, hence the document and policy libraries.

L7_UNIT_BIN     := $(BUILD)/tests/unit/test_l7_match
L7_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_l7_match
L7_UNIT_LIBS    := -lcmocka $(L7_LDLIBS) $(POL_LDLIBS) $(DOC_LDLIBS) \
		   $(LDLIBS_BPF) -lpthread

$(L7_UNIT_BIN): $(BUILD)/tests/unit/test_l7_match.o $(L7_LIB) $(POL_LIB) \
		$(DOC_LIB) $(CTRL_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(L7_UNIT_LIBS)

$(L7_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_l7_match.o $(L7_LIB_SAN) \
		$(POL_LIB_SAN) $(DOC_LIB_SAN) $(CTRL_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(L7_UNIT_LIBS)

all: $(L7_UNIT_BIN) $(L7_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: l7-unit-run
l7-unit-run: $(L7_UNIT_BIN_SAN) $(L7_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: l7-unit-run
