#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# live_drop.sh: bench/xdp_policy's live part.  For each receiver and each
# N (rules or entries), fresh namespaces, then RUNS windows of SECONDS of
# the single-flow and the 65,536-flow flood, interleaved.  Prints one
# JSON object per (receiver, N, flood) with the medians, for
# bench/lib/xdp_policy_report.py; progress goes to stderr.
#
#   live_drop.sh [--quick]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=rig.sh
source "$HERE/rig.sh"
# shellcheck source=stats.sh
source "$HERE/stats.sh"
# shellcheck source=rx_xgate.sh
source "$HERE/rx_xgate.sh"

NS=(1 100 1000 10000)
SECS=3
RUNS=3
RECEIVERS=(xgate xdp_filter nft_set nft_list iptables)
if [[ ${1:-} == --quick ]]; then
	NS=(1000)
	SECS=2
	RUNS=1
fi

rig_init >&2

measure() { # receiver N
	local rx=$1 n=$2 r flood
	local -A off rec

	rig_up >&2
	rx_setup "$rx" "$n" >&2
	for ((r = 1; r <= RUNS; r++)); do
		for flood in single many; do
			rig_flood "$flood"
			rig_measure "$rx/$RIG_RX_N/$flood/$r" "$SECS" >&2
			off[$flood]+="$RIG_OFFERED "
			rec[$flood]+="$RIG_RECEIVED "
		done
	done
	for flood in single many; do
		# shellcheck disable=SC2086  # space-separated lists on purpose
		printf '{"receiver": "%s", "rules": %s, "flood": "%s", "offered_mpps": %s, "received_mpps": %s, "runs": %d, "seconds": %d}\n' \
			"$rx" "$n" "$([[ $flood == many ]] && echo newflows || echo single)" \
			"$(stats_median ${off[$flood]})" "$(stats_median ${rec[$flood]})" "$RUNS" "$SECS"
	done
	rig_down >&2
}

# The bare XDP_DROP program has no rules: once, as the ceiling.
measure xdp_drop 1
for n in "${NS[@]}"; do
	for rx in "${RECEIVERS[@]}"; do
		# xdp-filter needs the 256 flood sources among its entries
		[[ $rx == xdp_filter && $n -lt 256 ]] && continue
		measure "$rx" "$n"
	done
done
