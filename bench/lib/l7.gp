# SPDX-License-Identifier: GPL-2.0-only
# Plot for bench/l7: req/s and p99 latency per mode (allowed requests),
# and the p99 of the 403 answer (denied requests); bars are the medians
# over the rounds, whiskers the lowest and highest round.  bench/l7 passes
# dat (bench/lib/l7_report.py's data) and out (the PNG) with -e.
# Columns: mode rps rps_min rps_max p99 p99_min p99_max dp99 dp99_min
# dp99_max; "?" is not measured.
if (!exists("dat")) dat = "bench/results/l7.dat"
if (!exists("out")) out = "bench/results/l7.png"
set terminal pngcairo size 1200,440 font "DejaVu Sans,10"
set output out
set datafile missing "?"
set style data histograms
set style histogram errorbars gap 1 lw 1.5
set style fill solid 0.7 border -1
set boxwidth 0.8
set grid ytics
set yrange [0:*]
unset key
set multiplot layout 1,3 title "bench/l7: GET through direct forwarding, xgate (L7 fast path) and HAProxy (wrk -t2 -c50)"
set title "allowed: req/s (higher is better)"
plot dat using 2:3:4:xtic(1) lc rgb "#4c72b0"
set title "allowed: p99 latency, ms (lower is better)"
plot dat using 5:6:7:xtic(1) lc rgb "#dd8452"
set title "denied (403): p99 latency, ms"
plot dat using 8:9:10:xtic(1) lc rgb "#c44e52"
unset multiplot
