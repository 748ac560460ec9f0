# SPDX-License-Identifier: GPL-2.0-only
# ctrl/doc/: the document parser (CiliumNetworkPolicy, Endpoint, Service
# from YAML/JSON, via libfyaml) as its own library, plain and sanitized.
# It carries ctrl/entries.o for xg_prefix_parse, so a program that only
# parses documents links libxgdoc.a alone (plus DOC_LDLIBS).

DOC_SRCS    := ctrl/doc/doc.c ctrl/doc/doc_tree.c ctrl/doc/doc_walk.c \
	       ctrl/doc/doc_mem.c ctrl/doc/doc_seen.c ctrl/doc/doc_meta.c \
	       ctrl/doc/doc_selector.c ctrl/doc/doc_peer.c \
	       ctrl/doc/doc_ports.c ctrl/doc/doc_icmp.c ctrl/doc/doc_cnp.c \
	       ctrl/doc/doc_endpoint.c ctrl/doc/doc_service.c
DOC_OBJS    := $(DOC_SRCS:%.c=%.o) ctrl/entries.o
DOC_LIB     := $(BUILD)/libxgdoc.a
DOC_LIB_SAN := $(BUILD)/san/libxgdoc.a
DOC_CFLAGS  := $(shell pkg-config --cflags libfyaml 2>/dev/null)
DOC_LDLIBS  := $(or $(shell pkg-config --libs libfyaml 2>/dev/null),-lfyaml)

# Only doc_tree.c includes libfyaml.h.
EXTRA_CFLAGS_doc_tree += $(DOC_CFLAGS)

$(DOC_LIB): $(DOC_OBJS:%=$(BUILD)/%)
	$(AR) rcs $@ $^
$(DOC_LIB_SAN): $(DOC_OBJS:%=$(BUILD)/san/%)
	$(AR) rcs $@ $^

all: $(DOC_LIB) $(DOC_LIB_SAN)
