# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the policy compiler's compile cache
# (xg_compile_cached against xg_compile, ctrl/policy/compile.h), built
# plain and with the sanitizers; `make test-unit` runs both.  It parses
# and compiles documents, hence the document and policy libraries.

COMPILE_CACHE_UNIT_BIN     := $(BUILD)/tests/unit/test_compile_cache
COMPILE_CACHE_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_compile_cache
COMPILE_CACHE_UNIT_LIBS    := -lcmocka $(POL_LDLIBS) $(DOC_LDLIBS) \
			      $(LDLIBS_BPF) -lpthread

$(COMPILE_CACHE_UNIT_BIN): $(BUILD)/tests/unit/test_compile_cache.o \
		$(POL_LIB) $(DOC_LIB) $(CTRL_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(COMPILE_CACHE_UNIT_LIBS)

$(COMPILE_CACHE_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_compile_cache.o \
		$(POL_LIB_SAN) $(DOC_LIB_SAN) $(CTRL_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(COMPILE_CACHE_UNIT_LIBS)

all: $(COMPILE_CACHE_UNIT_BIN) $(COMPILE_CACHE_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: compile-cache-unit-run
compile-cache-unit-run: $(COMPILE_CACHE_UNIT_BIN_SAN) $(COMPILE_CACHE_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: compile-cache-unit-run
