# SPDX-License-Identifier: GPL-2.0-only
# fastpath/http/: the HTTP/1.x request-head parser, request-target
# normaliser and body follower of the L7 fast path as their own library,
# plain and sanitized.  They need only libc.

HTTP_SRCS    := fastpath/http/http_parse.c fastpath/http/http_norm.c \
		fastpath/http/http_body.c
HTTP_OBJS    := $(HTTP_SRCS:%.c=%.o)
HTTP_LIB     := $(BUILD)/libxghttp.a
HTTP_LIB_SAN := $(BUILD)/san/libxghttp.a

$(HTTP_LIB): $(HTTP_OBJS:%=$(BUILD)/%)
	$(AR) rcs $@ $^
$(HTTP_LIB_SAN): $(HTTP_OBJS:%=$(BUILD)/san/%)
	$(AR) rcs $@ $^

all: $(HTTP_LIB) $(HTTP_LIB_SAN)
