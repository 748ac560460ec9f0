# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the document parser (ctrl/doc/), built
# plain and with the sanitizers; `make test-unit` runs both.  Kept apart
# from unit.mk: it needs libfyaml and nothing of the datapath.

DOC_UNIT_BIN     := $(BUILD)/tests/unit/test_doc
DOC_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_doc

# The test reads the shipped examples from the source tree, from
# wherever it is run.
EXTRA_CFLAGS_test_doc += -DXG_SRCDIR='"$(CURDIR)"'

$(DOC_UNIT_BIN): $(BUILD)/tests/unit/test_doc.o $(DOC_LIB)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(DOC_LDLIBS)

$(DOC_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_doc.o $(DOC_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ -lcmocka $(DOC_LDLIBS)

all: $(DOC_UNIT_BIN) $(DOC_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: doc-unit-run
doc-unit-run: $(DOC_UNIT_BIN_SAN) $(DOC_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: doc-unit-run
