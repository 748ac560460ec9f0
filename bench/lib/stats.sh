# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Order statistics for benchmark runs.  Sourced by bench scripts; each
# function takes the numbers as arguments (or one per line on stdin when
# given none) and prints one number.
#
#   source bench/lib/stats.sh
#   stats_median 6.1 6.5 5.9      # -> 6.1
#   printf '%s\n' "${runs[@]}" | stats_median

_stats_numbers() {
	if (($#)); then
		printf '%s\n' "$@"
	else
		cat
	fi
}

# Median; the mean of the middle two for an even count.  Non-numbers are
# an error (exit 1), so a failed run is noticed rather than skipped.
stats_median() {
	_stats_numbers "$@" | sort -g | awk '
		!/^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/ { bad = 1 }
		{ v[n++] = $1 }
		END {
			if (bad || n == 0) exit 1
			if (n % 2) printf "%.6g\n", v[(n - 1) / 2]
			else printf "%.6g\n", (v[n / 2 - 1] + v[n / 2]) / 2
		}'
}

stats_min() {
	_stats_numbers "$@" | sort -g | head -n 1
}

stats_max() {
	_stats_numbers "$@" | sort -g | tail -n 1
}

# Spread of the runs as a percentage of the median: (max - min) / median.
stats_spread_pct() {
	local med lo hi

	med=$(stats_median "$@") || return 1
	lo=$(stats_min "$@")
	hi=$(stats_max "$@")
	awk -v m="$med" -v l="$lo" -v h="$hi" 'BEGIN { printf "%.0f\n", (m > 0 ? (h - l) / m * 100 : 0) }'
}
