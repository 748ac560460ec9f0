# SPDX-License-Identifier: GPL-2.0-only
# tests/unit: the cmocka test of the HTTP parser, normaliser and body
# follower (fastpath/http/), built plain and with the sanitizers; `make
# test-unit` runs both.  Kept apart from unit.mk: it needs libxghttp.a
# and nothing else.

HTTP_UNIT_BIN     := $(BUILD)/tests/unit/test_http
HTTP_UNIT_BIN_SAN := $(BUILD)/san/tests/unit/test_http

$(HTTP_UNIT_BIN): $(BUILD)/tests/unit/test_http.o $(HTTP_LIB)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka

$(HTTP_UNIT_BIN_SAN): $(BUILD)/san/tests/unit/test_http.o $(HTTP_LIB_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ -lcmocka

all: $(HTTP_UNIT_BIN) $(HTTP_UNIT_BIN_SAN)

# Both run even when one fails; the target fails if either did.
.PHONY: http-unit-run
http-unit-run: $(HTTP_UNIT_BIN_SAN) $(HTTP_UNIT_BIN)
	@rc=0; for t in $^; do \
		echo "== $$t"; $$t || { echo "FAILED: $$t"; rc=1; }; \
	done; exit $$rc

test-unit: http-unit-run
