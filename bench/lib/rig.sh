# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# rig.sh owns the live drop rig: two network namespaces joined by one veth
# pair, xgate-pktgen flooding from one, a receiver under test ("DUT")
# dropping in the other, and the counters that say how much was offered and
# how much the receiver took.  Benchmark scripts source it:
#
#   source bench/lib/rig.sh
#   rig_init                        # checks, exit trap; once
#   rig_up                          # fresh namespaces
#   rx_setup nft_set 1000           # a receiver with N rules/entries
#   rig_flood many                  # single | many
#   rig_measure "nft_set/1000/many" 5
#   rig_down                        # rebuild before the next receiver
#
#   gen ns  xgb<id>g:  g<id>  198.18.0.1/16  2001:2::1/64
#                        |  veth (threaded NAPI and GRO on d<id>)
#   DUT ns  xgb<id>d:  d<id>  198.19.0.1/16  2001:2:0:1::1/64
#
# <id> is RIG_ID (default: the sourcing shell's PID), so rigs never collide.
# Floods go from 198.18.1.0/24 to RIG_DST (198.19.0.10), inside the
# benchmarking range 198.18.0.0/15; nothing leaves the two namespaces.
# The generator is pinned to RIG_GEN_CPU and d<id>'s NAPI kthread to
# RIG_DUT_CPU, so the receiver's work never steals the generator's core.
#
# A receiver NAME is a few functions, so adding one is small:
#   rx_setup_NAME N    install it in the DUT namespace with N rules/entries
#                      (run commands there with rig_dut CMD...); may set
#                      RIG_RX_N to the N it really used
#   rx_count_NAME      print a cumulative count of packets it dropped
#                      (read before and after each window)
#   rx_teardown_NAME   optional; rig_down removes everything anyway
# Helpers for them: rig_dut, rig_xdp_stat, rig_entries, rig_match_prefix,
# RIG_DUT_DEV, RIG_BPFFS.  Example for xgate, to add later:
#   rx_setup_xgate()  { rig_dut "$RIG_ROOT/build/xgated" --iface "$RIG_DUT_DEV" ...; }
#   rx_count_xgate()  { rig_xdp_stat xdp_drops; }
#
# Counting (what is reliable, measured on veth / kernel 6.18):
#   - offered: xgate-pktgen's own count of frames it ran (BPF_PROG_RUN
#     repeats).  Frames the veth refused because the receiver's 256-slot
#     ring was full are in it; they are reported apart as "refused"
#     (tx_queue_N_xdp_xmit_errors on g<id>).
#   - XDP receivers: rx_queue_N_xdp_drops on d<id> (ethtool -S) counts
#     every XDP_DROP verdict, exactly (it equals what the veth took);
#     rx_queue_N_xdp_packets counts every frame that came through the
#     veth's XDP ring, with or without a program.
#   - netfilter receivers: the counter on the matching rule (or set rule).
#     UDP and SYN floods are not merged by GRO (no UDP GRO socket, no
#     rx-udp-gro-forwarding, SYNs flush), so one packet counts once: the
#     counter equals what the veth took, and the interface's rx_packets
#     only adds the namespaces' own IPv6 chatter (3 in 150,000).
#     Long chains' counters are read before and after a window only.
#   - "napi %" is the receiver kthread's share of its core: near 100% the
#     receiver is the bottleneck; well below, the figure is bounded by the
#     generator or by the ring hand-off, not by the receiver.
#   - "other %" is time on the two rig cores spent by neither the
#     generator nor the NAPI thread (someone else's work): windows above
#     RIG_MAX_OTHER_PCT are measured again.

RIG_ROOT=${RIG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RIG_ID=${RIG_ID:-$$}
RIG_GEN_NS=xgb${RIG_ID}g
RIG_DUT_NS=xgb${RIG_ID}d
RIG_GEN_DEV=g${RIG_ID}
RIG_DUT_DEV=d${RIG_ID}
RIG_GEN_CPU=${RIG_GEN_CPU:-0}
RIG_DUT_CPU=${RIG_DUT_CPU:-1}
RIG_BPFFS=/run/xgate-bench/${RIG_ID}/bpffs
RIG_PKTGEN=${RIG_PKTGEN:-$RIG_ROOT/build/xgate-pktgen}
RIG_PROGS=${RIG_PROGS:-$RIG_ROOT/build/bench/progs}
RIG_DST=198.19.0.10
RIG_FILLER_BASE=198.19.128.0	# rule fillers: never a flood's address
# Before each window, wait up to RIG_QUIET_WAIT s for the machine to be
# under RIG_QUIET_PCT % busy (other work on 2 cores skews every figure).
RIG_QUIET_WAIT=${RIG_QUIET_WAIT:-60}
RIG_QUIET_PCT=${RIG_QUIET_PCT:-10}
# A window in which more than RIG_MAX_OTHER_PCT % of the two rig cores
# went to other processes is measured again, up to RIG_RETRIES times.
RIG_MAX_OTHER_PCT=${RIG_MAX_OTHER_PCT:-5}
RIG_RETRIES=${RIG_RETRIES:-3}
# Tab-separated results of every kept window are appended here when set.
RIG_RESULTS=${RIG_RESULTS:-}

RIG_UP=0
RIG_RX=
RIG_RX_N=
RIG_FLOOD=single
RIG_FLOOD_ARGS=()
RIG_PKTGEN_PID=
RIG_EXIT_HOOKS=()

# Flood presets and address helpers shared with the pktgen scripts.
# shellcheck disable=SC2034  # read by pktgen-common.sh
PG_NAME=rig
# shellcheck source-path=SCRIPTDIR/../.. source=tools/pktgen/pktgen-common.sh
source "$RIG_ROOT/tools/pktgen/pktgen-common.sh"

rig_log() {
	echo "rig: $*" >&2
}

rig_die() {
	echo "rig: error: $*" >&2
	exit 1
}

# Runs a command in the generator namespace.
rig_gen() {
	ip netns exec "$RIG_GEN_NS" "$@"
}

# Runs a command in the DUT namespace.  `ip netns exec` mounts a fresh
# /sys, which hides /sys/fs/bpf: the rig's own bpffs is bound there, so
# libxdp (LIBXDP_BPFFS), xdp-filter (which looks at /sys/fs/bpf first,
# then takes the first bpffs in the mount table, someone else's) and
# iproute2's loader all pin into it.
# shellcheck disable=SC2016  # $0 and $@ belong to the inner shell
rig_dut() {
	ip netns exec "$RIG_DUT_NS" sh -c \
		'mount --bind "$0" /sys/fs/bpf && exec env LIBXDP_BPFFS="$0" "$@"' \
		"$RIG_BPFFS" "$@"
}

rig_init() {
	local t

	[[ $EUID -eq 0 ]] || rig_die "needs root (namespaces, XDP, netfilter)"
	for t in ip ethtool nft iptables iptables-legacy xdp-filter bpftool taskset awk; do
		command -v "$t" >/dev/null || rig_die "missing tool '$t' (tools/deps.sh installs them)"
	done
	[[ -x $RIG_PKTGEN ]] || rig_die "no $RIG_PKTGEN: run 'make build/xgate-pktgen'"
	for p in xdp_drop xdp_parse_drop; do
		[[ -f $RIG_PROGS/$p.bpf.o ]] ||
			rig_die "no $RIG_PROGS/$p.bpf.o: run 'make build/bench/progs/$p.bpf.o'"
	done
	(($(nproc) >= 2)) || rig_log "warning: one CPU: generator and receiver will share it"
	trap rig_cleanup EXIT
	trap 'exit 130' INT TERM
}

rig_cleanup() {
	local h

	for h in "${RIG_EXIT_HOOKS[@]}"; do
		"$h" || true
	done
	rig_down
}

rig_up() {
	((RIG_UP)) && rig_down
	RIG_UP=1
	mkdir -p "$RIG_BPFFS"
	mountpoint -q "$RIG_BPFFS" || mount -t bpf bpf "$RIG_BPFFS" ||
		rig_die "cannot mount a bpffs at $RIG_BPFFS"
	ip netns add "$RIG_GEN_NS" || rig_die "cannot create namespace $RIG_GEN_NS"
	ip netns add "$RIG_DUT_NS" || rig_die "cannot create namespace $RIG_DUT_NS"
	ip link add "$RIG_GEN_DEV" netns "$RIG_GEN_NS" type veth \
		peer name "$RIG_DUT_DEV" netns "$RIG_DUT_NS" ||
		rig_die "cannot create veth $RIG_GEN_DEV/$RIG_DUT_DEV"

	rig_gen ip link set lo up
	rig_gen ip addr add 198.18.0.1/16 dev "$RIG_GEN_DEV"
	rig_gen ip addr add 2001:2::1/64 dev "$RIG_GEN_DEV" nodad
	rig_gen ip link set "$RIG_GEN_DEV" up
	rig_gen ip route add 198.19.0.0/16 dev "$RIG_GEN_DEV"

	rig_dut ip link set lo up
	rig_dut ip addr add 198.19.0.1/16 dev "$RIG_DUT_DEV"
	rig_dut ip addr add 2001:2:0:1::1/64 dev "$RIG_DUT_DEV" nodad
	rig_dut ip link set "$RIG_DUT_DEV" up
	rig_dut ip route add 198.18.0.0/16 dev "$RIG_DUT_DEV"
	# GRO gives the veth a NAPI instance even without XDP: netfilter
	# receivers need it (frames to a peer with neither vanish), and
	# threaded mode can only be switched on once it exists.  It stays
	# across XDP attach and detach, so its kthread keeps its PID.
	rig_dut ethtool -K "$RIG_DUT_DEV" gro on >/dev/null ||
		rig_die "cannot enable GRO on $RIG_DUT_DEV"
	rig_dut sh -c "echo 1 > /sys/class/net/$RIG_DUT_DEV/threaded" ||
		rig_die "cannot enable threaded NAPI on $RIG_DUT_DEV"

	rig_pin_napi >/dev/null
}

rig_down() {
	# The window's subshell and the generator it started, by PID.
	if [[ -n $RIG_PKTGEN_PID ]] && kill -0 "$RIG_PKTGEN_PID" 2>/dev/null; then
		pkill -TERM -P "$RIG_PKTGEN_PID" 2>/dev/null || true
		kill "$RIG_PKTGEN_PID" 2>/dev/null || true
		wait "$RIG_PKTGEN_PID" 2>/dev/null || true
	fi
	RIG_PKTGEN_PID=
	if ((RIG_UP)) && [[ -n $RIG_RX ]] && declare -F "rx_teardown_$RIG_RX" >/dev/null; then
		"rx_teardown_$RIG_RX" >/dev/null 2>&1 || true
	fi
	RIG_RX=
	ip netns del "$RIG_GEN_NS" 2>/dev/null || true
	ip netns del "$RIG_DUT_NS" 2>/dev/null || true
	if mountpoint -q "$RIG_BPFFS" 2>/dev/null; then
		umount "$RIG_BPFFS" 2>/dev/null || true
	fi
	rmdir "$RIG_BPFFS" "${RIG_BPFFS%/bpffs}" 2>/dev/null || true
	RIG_UP=0
}

# Pins every NAPI kthread of the DUT veth to RIG_DUT_CPU; prints their PIDs.
# Their names are "napi/<dev>-<napi id>", cut to 15 characters.
rig_pin_napi() {
	local pid comm pids=()

	while read -r pid comm; do
		if [[ $comm == "napi/$RIG_DUT_DEV-"* ]]; then
			taskset -pc "$RIG_DUT_CPU" "$pid" >/dev/null ||
				rig_die "cannot pin NAPI thread $pid"
			pids+=("$pid")
		fi
	done < <(ps -e -o pid=,comm=)
	((${#pids[@]})) || rig_die "no NAPI kthread for $RIG_DUT_DEV (threaded NAPI off?)"
	echo "${pids[@]}"
}

# Sum of the DUT veth's ethtool counters rx_queue_<N>_<what>.
rig_xdp_stat() {
	rig_dut ethtool -S "$RIG_DUT_DEV" |
		awk -v w="$1" '$1 ~ "^rx_queue_[0-9]+_" w ":$" { s += $2 } END { print s + 0 }'
}

rig_gen_stat() {
	rig_gen ethtool -S "$RIG_GEN_DEV" |
		awk -v w="$1" '$1 ~ "^tx_queue_[0-9]+_" w ":$" { s += $2 } END { print s + 0 }'
}

# single: one flow from 198.18.1.1:1024.  many: 65,536 flows, 256
# addresses of 198.18.1.0/24 x 256 source ports.  Extra arguments go to
# xgate-pktgen (e.g. --proto tcp-syn, --size 128).
rig_flood() {
	local kind=$1

	shift
	case $kind in
	single) RIG_FLOOD_ARGS=("${PG_FLOOD_SINGLE4[@]}") ;;
	many) RIG_FLOOD_ARGS=("${PG_FLOOD_MANY4[@]}") ;;
	*) rig_die "rig_flood: single or many, not '$kind'" ;;
	esac
	RIG_FLOOD=$kind
	RIG_FLOOD_ARGS+=("$@")
}

# The prefix holding every source of both floods: list receivers' last
# (matching) rule.
rig_match_prefix() {
	echo 198.18.1.0/24
}

# N addresses for set-like receivers, one per line: the 256 sources of the
# floods first, then fillers from RIG_FILLER_BASE that no flood uses.
rig_entries() {
	local n=$1 i base

	base=$(pg_ip4_int "$RIG_FILLER_BASE")
	for ((i = 0; i < n && i < 256; i++)); do
		echo "198.18.1.$i"
	done
	for ((i = 256; i < n; i++)); do
		pg_int_ip4 $((base + i - 255))
	done
}

# N - 1 filler addresses for list receivers (the matching rule is last).
rig_fillers() {
	local n=$1 i base

	base=$(pg_ip4_int "$RIG_FILLER_BASE")
	for ((i = 1; i < n; i++)); do
		pg_int_ip4 $((base + i))
	done
}

rx_setup() {
	local name=$1 n=${2:-1}

	declare -F "rx_setup_$name" >/dev/null || rig_die "no receiver '$name'"
	((RIG_UP)) || rig_die "rx_setup before rig_up"
	[[ -z $RIG_RX ]] || rig_die "receiver $RIG_RX is still set up: rig_down first"
	RIG_RX_N=$n
	RIG_RX=$name
	"rx_setup_$name" "$n" || rig_die "setting up receiver $name (N=$n) failed"
}

rx_teardown() {
	[[ -n $RIG_RX ]] || return 0
	if declare -F "rx_teardown_$RIG_RX" >/dev/null; then
		"rx_teardown_$RIG_RX"
	fi
	RIG_RX=
}

rx_count() {
	"rx_count_$RIG_RX"
}

# /proc/stat busy and total ticks of one CPU.
_rig_cpu_ticks() {
	awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i
		print t - $5 - $6, t }' /proc/stat
}

# Whole-machine busy percentage over the next second.
# shellcheck disable=SC2016  # an awk program
_rig_busy_pct() {
	local ab at bb bt prog='$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }'

	read -r ab at < <(awk "$prog" /proc/stat)
	sleep 1
	read -r bb bt < <(awk "$prog" /proc/stat)
	echo $(((bb - ab) * 100 / (bt - at > 0 ? bt - at : 1)))
}

# Waits for the machine to be quiet; says so when it does not get quiet.
rig_wait_quiet() {
	local waited=0 busy

	while :; do
		busy=$(_rig_busy_pct)
		((busy < RIG_QUIET_PCT)) && return 0
		if ((waited >= RIG_QUIET_WAIT)); then
			rig_log "warning: machine still ${busy}% busy after ${waited}s: measuring anyway"
			return 0
		fi
		((waited == 0)) && rig_log "machine ${busy}% busy (not ours?): waiting up to ${RIG_QUIET_WAIT}s"
		waited=$((waited + 1))
	done
}

# Threads' CPU ticks (utime + stime) summed.
_rig_thread_ticks() {
	local pid s=0 t

	for pid in "$@"; do
		t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
		s=$((s + t))
	done
	echo "$s"
}

# rig_measure LABEL SECONDS: one window of the current flood against the
# current receiver.  Prints one line and sets RIG_OFFERED, RIG_ACCEPTED and
# RIG_RECEIVED (Mpps) and RIG_OTHER_PCT (CPU time on the two rig cores that
# was neither the generator nor the NAPI thread).  A window disturbed by
# other work is measured again (RIG_MAX_OTHER_PCT, RIG_RETRIES).
rig_measure() {
	local try

	for ((try = 0; try <= RIG_RETRIES; try++)); do
		_rig_window "$@"
		if awk -v o="$RIG_OTHER_PCT" -v m="$RIG_MAX_OTHER_PCT" 'BEGIN { exit !(o <= m) }'; then
			break
		fi
		if ((try < RIG_RETRIES)); then
			rig_log "'$1': $RIG_OTHER_PCT% of the rig cores went to other work: measuring again"
		else
			rig_log "warning: '$1' kept with $RIG_OTHER_PCT% of the rig cores busy with other work"
		fi
	done
	printf '%-34s offered %7.3f Mpps  veth took %7.3f  received %7.3f Mpps (%5.1f%%)  napi %3s%%  other %4.1f%%\n' \
		"$1" "$RIG_OFFERED" "$RIG_ACCEPTED" "$RIG_RECEIVED" \
		"$(awk -v r="$RIG_RECEIVED" -v o="$RIG_OFFERED" 'BEGIN { printf "%.1f", (o > 0 ? r / o * 100 : 0) }')" \
		"$RIG_NAPI_PCT" "$RIG_OTHER_PCT"
	if [[ -n $RIG_RESULTS ]]; then
		[[ -s $RIG_RESULTS ]] ||
			printf 'label\treceiver\tn\tflood\tseconds\tsent\tveth_took\tveth_refused\tdropped\toffered_mpps\tdropped_mpps\tnapi_pct\tother_pct\n' >"$RIG_RESULTS"
		printf '%s\t%s\n' "$1" "$RIG_ROW" >>"$RIG_RESULTS"
	fi
}

_rig_window() {
	local secs=$2 out rx0 rx1 napi napi0 napi1 g0 g1 d0 d1
	local json sent seconds xmit xerr times_line gen_ticks

	[[ -n $RIG_RX ]] || rig_die "rig_measure without a receiver (rx_setup)"
	((${#RIG_FLOOD_ARGS[@]})) || rig_flood single
	napi=$(rig_pin_napi)
	((RIG_QUIET_WAIT > 0)) && rig_wait_quiet

	rx0=$(rx_count)
	read -ra _napi_pids <<<"$napi"
	napi0=$(_rig_thread_ticks "${_napi_pids[@]}")
	read -r g0 _ < <(_rig_cpu_ticks "$RIG_GEN_CPU")
	read -r d0 _ < <(_rig_cpu_ticks "$RIG_DUT_CPU")

	out=$(mktemp)
	# `times` in the subshell reports its children's CPU time: the
	# generator's, to tell its own core time from others'.
	(
		rc=0
		rig_gen "$RIG_PKTGEN" --dev "$RIG_GEN_DEV" --dst "$RIG_DST" \
			"${RIG_FLOOD_ARGS[@]}" --cpu "$RIG_GEN_CPU" \
			--duration "$secs" --json || rc=$?
		times
		exit "$rc"
	) >"$out" 2>&1 &
	RIG_PKTGEN_PID=$!
	wait "$RIG_PKTGEN_PID" || { cat "$out" >&2; rm -f "$out"; rig_die "xgate-pktgen failed"; }
	RIG_PKTGEN_PID=

	read -r g1 _ < <(_rig_cpu_ticks "$RIG_GEN_CPU")
	read -r d1 _ < <(_rig_cpu_ticks "$RIG_DUT_CPU")
	napi1=$(_rig_thread_ticks "${_napi_pids[@]}")
	rx1=$(rx_count)

	json=$(grep '^{' "$out")
	times_line=$(grep -E '^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$' "$out" | tail -n 1)
	rm -f "$out"
	[[ -n $json ]] || rig_die "no result from xgate-pktgen"
	sent=$(sed -E 's/.*"sent":([0-9]+).*/\1/' <<<"$json")
	seconds=$(sed -E 's/.*"seconds":([0-9.]+).*/\1/' <<<"$json")
	xmit=$(sed -nE 's/.*"xmit":([0-9]+).*/\1/p' <<<"$json")
	xerr=$(sed -nE 's/.*"xmit_errors":([0-9]+).*/\1/p' <<<"$json")
	gen_ticks=$(awk -v hz="$(getconf CLK_TCK)" '{ for (i = 1; i <= 2; i++) {
		split($i, p, /[ms]/); t += p[1] * 60 + p[2] } } END { printf "%d\n", t * hz }' <<<"$times_line")

	read -r RIG_OFFERED RIG_ACCEPTED RIG_RECEIVED RIG_OTHER_PCT < <(awk \
		-v s="$sent" -v t="$seconds" -v x="${xmit:-0}" -v r=$((rx1 - rx0)) \
		-v gb=$((g1 - g0)) -v db=$((d1 - d0)) -v gt="$gen_ticks" \
		-v nt=$((napi1 - napi0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
		win = t * hz
		other = (gb - gt > 0 ? gb - gt : 0) + (db - nt > 0 ? db - nt : 0)
		pct = win > 0 ? other / (2 * win) * 100 : 0
		printf "%.4f %.4f %.4f %.1f\n", s / t / 1e6, x / t / 1e6, r / t / 1e6, pct }')
	RIG_NAPI_PCT=$(awk -v n=$((napi1 - napi0)) -v t="$seconds" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.0f\n", n / (t * hz) * 100 }')
	RIG_ROW=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$RIG_RX" \
		"$RIG_RX_N" "$RIG_FLOOD" "$seconds" "$sent" "${xmit:-}" "${xerr:-}" \
		$((rx1 - rx0)) "$RIG_OFFERED" "$RIG_RECEIVED" "$RIG_NAPI_PCT" "$RIG_OTHER_PCT")
}

# ---- receivers ---------------------------------------------------------

# Baselines that are one program of bench/progs, with no rules (N does
# not apply), counted by the veth's XDP drop counter:
#   xdp_drop        bare XDP_DROP: the ceiling for any XDP receiver;
#   xdp_parse_drop  the cheapest receiver that reads the frame (IPv4
#                   source in 198.18.0.0/15 -> drop): what touching the
#                   headers costs here, below any real filter.
_rx_prog_setup() { # PROG
	RIG_RX_N=0
	rig_dut ip link set dev "$RIG_DUT_DEV" xdpdrv \
		obj "$RIG_PROGS/$1.bpf.o" sec xdp
}

_rx_prog_teardown() {
	rig_dut ip link set dev "$RIG_DUT_DEV" xdpdrv off
}

rx_setup_xdp_drop() { _rx_prog_setup xdp_drop; }
rx_count_xdp_drop() { rig_xdp_stat xdp_drops; }
rx_teardown_xdp_drop() { _rx_prog_teardown; }
rx_setup_xdp_parse_drop() { _rx_prog_setup xdp_parse_drop; }
rx_count_xdp_parse_drop() { rig_xdp_stat xdp_drops; }
rx_teardown_xdp_parse_drop() { _rx_prog_teardown; }

# xdp-filter (xdp-tools) in native mode, default features (Ethernet, IPv4,
# IPv6, TCP, UDP: every packet is looked up by MAC, address and port),
# default-allow with N source addresses denied, the floods' sources first.
# The entries go in with one `bpftool batch` (the same map writes
# `xdp-filter ip ADDR -m src` makes, about 40 ms each); filter_ipv4 holds
# at most 10,000 entries.  On this kernel libxdp's dispatcher check fails
# (EPERM loading the freplace test program) and libxdp falls back to
# attaching the filter program alone, which `xdp-loader status` shows.
RIG_XDP_FILTER_MAX=10000
rx_setup_xdp_filter() {
	local n=$1 map batch

	if ((n < 256)); then
		rig_log "xdp_filter: N=$n raised to 256 to hold every source of the many-flow flood"
		n=256
	fi
	((n <= RIG_XDP_FILTER_MAX)) || rig_die "xdp-filter holds at most $RIG_XDP_FILTER_MAX IPv4 entries"
	RIG_RX_N=$n
	rig_dut xdp-filter load "$RIG_DUT_DEV" -m native -p allow >/dev/null || return 1
	map=$RIG_BPFFS/xdp-filter/filter_ipv4
	[[ -e $map ]] || rig_die "xdp-filter did not pin its maps in $RIG_BPFFS"
	batch=$(mktemp)
	# Key: the address in network order; value: MAP_FLAG_SRC (bit 0),
	# hit counter above bit 6, copied to every CPU by bpftool.
	rig_entries "$n" | awk -v m="$map" -F. '{
		printf "map update pinned %s key %d %d %d %d value 1 0 0 0 0 0 0 0\n", m, $1, $2, $3, $4 }' >"$batch"
	bpftool batch file "$batch" >/dev/null || { rm -f "$batch"; return 1; }
	rm -f "$batch"
	local got
	got=$(rig_dut xdp-filter status | grep -c ' src ')
	((got == n)) || rig_die "xdp_filter: $got entries in the map, wanted $n"
}

rx_count_xdp_filter() {
	rig_xdp_stat xdp_drops
}

rx_teardown_xdp_filter() {
	rig_dut xdp-filter unload "$RIG_DUT_DEV"
}

# nftables, netdev ingress hook on the DUT veth: one rule looking the source
# up in a hash set of N addresses (the floods' sources among them).
rx_setup_nft_set() {
	local n=$1 f

	if ((n < 256)); then
		rig_log "nft_set: N=$n raised to 256 to hold every source of the many-flow flood"
		n=256
	fi
	RIG_RX_N=$n
	f=$(mktemp)
	{
		echo "table netdev xgb {"
		echo "  set deny { type ipv4_addr; size $((n * 2)); elements = {"
		rig_entries "$n" | paste -sd, -
		echo "  } }"
		echo "  chain ingress {"
		echo "    type filter hook ingress device \"$RIG_DUT_DEV\" priority -500; policy accept;"
		echo "    ip saddr @deny counter drop"
		echo "  }"
		echo "}"
	} >"$f"
	rig_dut nft -f "$f" || { rm -f "$f"; return 1; }
	rm -f "$f"
}

rx_count_nft_set() {
	rig_dut nft list chain netdev xgb ingress |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

rx_teardown_nft_set() {
	rig_dut nft delete table netdev xgb
}

# nftables, netdev ingress hook: a list of N rules, N - 1 that do not match
# and the matching one (the floods' /24) last.
rx_setup_nft_list() {
	local n=$1 f

	f=$(mktemp)
	{
		echo "table netdev xgb {"
		echo "  chain ingress {"
		echo "    type filter hook ingress device \"$RIG_DUT_DEV\" priority -500; policy accept;"
		rig_fillers "$n" | sed 's/^/    ip saddr /; s/$/ drop/'
		echo "    ip saddr $(rig_match_prefix) counter drop"
		echo "  }"
		echo "}"
	} >"$f"
	rig_dut nft -f "$f" || { rm -f "$f"; return 1; }
	rm -f "$f"
}

rx_count_nft_list() {
	rx_count_nft_set
}

rx_teardown_nft_list() {
	rx_teardown_nft_set
}

# iptables, raw table PREROUTING: N DROP rules, the matching one last.
# "iptables" is whatever the distribution links it to (nf_tables on Debian
# 12); "iptables_legacy" is the x_tables one.  An emptied table keeps its
# hooks: rig_down between configurations, not a flush.
_rx_setup_ipt() {
	local cmd=$1 n=$2 f

	f=$(mktemp)
	{
		echo "*raw"
		echo ":PREROUTING ACCEPT [0:0]"
		rig_fillers "$n" | sed 's|^|-A PREROUTING -s |; s|$|/32 -j DROP|'
		echo "-A PREROUTING -s $(rig_match_prefix) -j DROP"
		echo "COMMIT"
	} >"$f"
	rig_dut "$cmd-restore" <"$f" || { rm -f "$f"; return 1; }
	rm -f "$f"
}

_rx_count_ipt() {
	local cmd=$1

	# Rule number N only: listing a long chain costs more than it says.
	rig_dut "$cmd" -t raw -L PREROUTING "$RIG_RX_N" -nvx |
		awk 'NF > 2 && $1 ~ /^[0-9]+$/ { print $1; exit }'
}

# Empties the chain; the raw table and its hook stay (see above).
_rx_teardown_ipt() {
	rig_dut "$1" -t raw -F PREROUTING
}

rx_setup_iptables() {
	_rx_setup_ipt iptables "$1"
}

rx_count_iptables() {
	_rx_count_ipt iptables
}

rx_teardown_iptables() {
	_rx_teardown_ipt iptables
}

rx_setup_iptables_legacy() {
	_rx_setup_ipt iptables-legacy "$1"
}

rx_count_iptables_legacy() {
	_rx_count_ipt iptables-legacy
}

rx_teardown_iptables_legacy() {
	_rx_teardown_ipt iptables-legacy
}
