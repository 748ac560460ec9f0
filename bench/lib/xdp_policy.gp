# SPDX-License-Identifier: GPL-2.0-only
# Plot for bench/xdp_policy: ns/packet per table size.
set terminal pngcairo size 900,500 font "DejaVu Sans,10"
set output "bench/results/xdp_policy.png"
set title "xgate XDP policy: ns/packet by table size (policy entries / ipcache prefixes)"
set ylabel "ns per packet (median)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key below horizontal
set grid ytics
set yrange [0:*]
plot "bench/results/xdp_policy.dat" using 2:xtic(1) title "established", \
     "" using 3 title "denied", \
     "" using 4 title "new flow", \
     "" using 5 title "new flow, judged in full", \
     "" using 6 title "new flow, denied", \
     "" using 7 title "conntrack alone (floor)"
