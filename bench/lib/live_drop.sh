#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# live_drop.sh: bench/xdp_policy's live part.  For each N (rules or
# entries), fresh namespaces, then RUNS rounds; in each round every
# receiver in turn is set up, takes one window of SECONDS of the
# single-flow and one of the 65,536-flow flood, and is torn down.  Rounds
# pair the receivers in time: this VM's generator rate wanders by 3x over
# minutes, so xgate's rate over another's is only meaningful from windows
# a few seconds apart (the report takes the median of per-round ratios).
# The bare XDP_DROP and the header-reading xdp_parse_drop, which have no
# rules, take part at N = 1,000, the N the ratios are taken at.  Prints one JSON object per window, for
# bench/lib/xdp_policy_report.py; progress goes to stderr.
#
#   live_drop.sh [--quick]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=rig.sh
source "$HERE/rig.sh"
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

# "rules" is the round's N; "entries" what the receiver holds (nft_set
# and xdp_filter at least the 256 flood sources, xdp_drop none).
window() { # receiver N flood round
	rig_flood "$3"
	rig_measure "$1/$RIG_RX_N/$3/$4" "$SECS" >&2
	printf '{"receiver": "%s", "rules": %d, "entries": %d, "flood": "%s", "round": %d, "offered_mpps": %s, "received_mpps": %s, "seconds": %d}\n' \
		"$1" "$2" "$RIG_RX_N" "$([[ $3 == many ]] && echo newflows || echo single)" \
		"$4" "$RIG_OFFERED" "$RIG_RECEIVED" "$SECS"
}

for n in "${NS[@]}"; do
	rxs=()
	((n == 1000)) && rxs+=(xdp_drop xdp_parse_drop)
	for rx in "${RECEIVERS[@]}"; do
		# xdp-filter needs the 256 flood sources among its entries
		[[ $rx == xdp_filter && $n -lt 256 ]] && continue
		rxs+=("$rx")
	done
	rig_up >&2
	for ((r = 1; r <= RUNS; r++)); do
		for rx in "${rxs[@]}"; do
			rx_setup "$rx" "$n" >&2
			window "$rx" "$n" single "$r"
			window "$rx" "$n" many "$r"
			rx_teardown >&2
		done
	done
	rig_down >&2
done
