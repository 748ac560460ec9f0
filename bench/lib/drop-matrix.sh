#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# drop-matrix.sh measures how many packets per second each receiver drops
# on the live rig (bench/lib/rig.sh): for every receiver, fresh namespaces,
# N rules/entries, then RUNS windows of SECONDS for the single-flow and the
# 65,536-flow flood (interleaved), and a table of medians at the end.
#
#   bench/lib/drop-matrix.sh [-n N] [-s SECONDS] [-r RUNS] [-o FILE.tsv] [RECEIVER...]
#
# Receivers: xdp_drop xdp_filter nft_set nft_list iptables iptables_legacy
# (default: all), or any rx_setup_NAME a script defines before sourcing
# this one's logic.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/rig.sh"
source "$HERE/stats.sh"

N=1000
SECS=5
RUNS=3
TSV=
usage() {
	sed -n '3,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}
while getopts "n:s:r:o:h" opt; do
	case $opt in
	n) N=$OPTARG ;;
	s) SECS=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	o) TSV=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
RECEIVERS=("$@")
((${#RECEIVERS[@]})) ||
	RECEIVERS=(xdp_drop xdp_filter nft_set nft_list iptables iptables_legacy)
FLOODS=(single many)

RIG_RESULTS=${TSV:-$(mktemp)}
export RIG_RESULTS
rig_init

declare -A offered received used_n
for rx in "${RECEIVERS[@]}"; do
	rig_up
	rx_setup "$rx" "$N"
	used_n[$rx]=$RIG_RX_N
	for ((r = 1; r <= RUNS; r++)); do
		for flood in "${FLOODS[@]}"; do
			rig_flood "$flood"
			rig_measure "$rx/$RIG_RX_N/$flood/$r" "$SECS"
			offered[$rx/$flood]+="$RIG_OFFERED "
			received[$rx/$flood]+="$RIG_RECEIVED "
		done
	done
	rig_down
done

echo
echo "Medians of $RUNS windows of ${SECS}s, 64-byte UDP, generator on CPU $RIG_GEN_CPU, receiver's NAPI on CPU $RIG_DUT_CPU:"
echo
echo "| receiver | N | flood | offered Mpps | dropped Mpps | dropped/offered | spread of dropped |"
echo "|---|---|---|---|---|---|---|"
for rx in "${RECEIVERS[@]}"; do
	for flood in "${FLOODS[@]}"; do
		# shellcheck disable=SC2086  # space-separated lists on purpose
		o=$(stats_median ${offered[$rx/$flood]})
		# shellcheck disable=SC2086
		d=$(stats_median ${received[$rx/$flood]})
		# shellcheck disable=SC2086
		sp=$(stats_spread_pct ${received[$rx/$flood]})
		n=${used_n[$rx]}
		[[ $rx == xdp_drop ]] && n=-
		printf '| %s | %s | %s | %.3f | %.3f | %.0f%% | %s%% |\n' "$rx" "$n" "$flood" \
			"$o" "$d" "$(awk -v d="$d" -v o="$o" 'BEGIN { print (o > 0 ? d / o * 100 : 0) }')" "$sp"
	done
done
[[ -n $TSV ]] && echo && echo "Every window: $TSV"
