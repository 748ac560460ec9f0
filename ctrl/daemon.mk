# SPDX-License-Identifier: GPL-2.0-only
# ctrl/daemon/: xgated, the daemon (control thread, kvstores, local API,
# and the L7 fast path's workers from fastpath/).

XGATED_SRCS := ctrl/daemon/main.c ctrl/daemon/control.c ctrl/daemon/evq.c \
	       ctrl/daemon/docstore.c ctrl/daemon/store_file.c \
	       ctrl/daemon/store_etcd.c ctrl/daemon/api.c ctrl/daemon/api_cmds.c \
	       ctrl/daemon/api_l7.c ctrl/daemon/node_report.c \
	       ctrl/daemon/id_batch.c
XGATED      := $(BUILD)/xgated

EXTRA_CFLAGS_store_etcd += $(KV_CFLAGS)
EXTRA_CFLAGS_control    += $(KV_CFLAGS)
EXTRA_CFLAGS_main       += $(KV_CFLAGS)
EXTRA_CFLAGS_node_report += $(KV_CFLAGS)

# The libraries come from fragments included after this one (ctrl/*.mk
# in name order): expanded a second time, when make has read them all.
.SECONDEXPANSION:
$(XGATED): $(XGATED_SRCS:%.c=$(BUILD)/%.o) $$(POL_LIB) $$(DOC_LIB) \
		$$(XGD_LIB) $$(KV_LIB) $$(FP_LINK) $$(CTRL_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(DOC_LDLIBS) $(XGD_LDLIBS) $(POL_LDLIBS) \
		$(FP_LDLIBS) -lpthread

all: $(XGATED)
