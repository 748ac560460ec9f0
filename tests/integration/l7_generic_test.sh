#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# l7_test.sh again with xgated attached in generic XDP mode, as bench/l7
# runs it on veth: the fast path's redirect into AF_XDP, its metadata,
# the devmap forward of the server's answers and every verdict must hold
# there too.
export XG_L7_XDP_MODE=generic
exec bash "$(dirname "$0")/l7_test.sh" "$@"
