# SPDX-License-Identifier: GPL-2.0-only
# Plot for bench/lb_scaling: connection-setup latency to the last-added
# service by number of services (left axis), and xgate's ns/packet for a
# new flow (right axis), both taken through the run's 1-service reference
# (see bench/results/lb_scaling.md).  Data: bench/results/lb_scaling.dat,
# block 0 the p50 connect latencies, block 1 ns/packet; "?" is a point
# not measured.
set terminal pngcairo size 900,520 font "DejaVu Sans,10"
set output "bench/results/lb_scaling.png"
set title "Latency vs number of services: xgate (XDP, Maglev) vs kube-proxy iptables"
set datafile missing "?"
set logscale x
set xrange [0.7:150000]
set xtics ("1" 1, "10" 10, "100" 100, "1k" 1000, "10k" 10000, "100k" 100000)
set xlabel "services (connections go to the last one added)"
set ylabel "TCP connect p50 (us, through the reference)"
set y2label "xgate ns/packet, new flow (bpf\\_prog\\_test\\_run)"
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
set grid xtics ytics
set key top left
# have_lab / have_ns come from bench/lb_scaling (gnuplot -e): a run with
# one part skipped has nothing to draw for the other.
if (!exists("have_lab")) have_lab = 1
if (!exists("have_ns")) have_ns = 1
d = "bench/results/lb_scaling.dat"
if (have_lab && have_ns) {
	plot d index 0 using 1:2 with linespoints lw 2 pt 7 title "xgate: connect p50", \
	     d index 0 using 1:3 with linespoints lw 2 pt 5 title "iptables-legacy: connect p50", \
	     d index 0 using 1:4 with linespoints lw 2 pt 9 title "iptables-nft: connect p50", \
	     d index 1 using 1:2 axes x1y2 with linespoints lw 1 dt 2 pt 6 title "xgate: ns/packet (right axis)"
} else {
	if (have_lab) {
		plot d index 0 using 1:2 with linespoints lw 2 pt 7 title "xgate: connect p50", \
		     d index 0 using 1:3 with linespoints lw 2 pt 5 title "iptables-legacy: connect p50", \
		     d index 0 using 1:4 with linespoints lw 2 pt 9 title "iptables-nft: connect p50"
	} else {
		plot d index 1 using 1:2 axes x1y2 with linespoints lw 1 dt 2 pt 6 title "xgate: ns/packet (right axis)"
	}
}
