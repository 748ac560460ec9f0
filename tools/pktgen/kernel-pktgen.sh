#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel-pktgen.sh sends xgate-pktgen's floods with the kernel's own packet
# generator (/proc/net/pktgen, CONFIG_NET_PKTGEN), for machines that have
# it: on real NICs it outruns one BPF_PROG_RUN core by far.  It takes
# xgate-pktgen's options (see pktgen-common.sh) plus a few of pktgen's own,
# configures one pktgen thread per --threads, runs, prints what was sent,
# and removes its devices from the threads on any exit.
#
#   kernel-pktgen.sh --dev eth1 --dst 198.19.0.10 --dst-mac 0c:42:a1:00:00:01 \
#           --flood many --threads 4 --duration 10
#
# What kernel pktgen does differently from xgate-pktgen:
#   - UDP only (no --proto tcp-syn); one IPv6 source address (src6), so an
#     IPv6 many-flow flood varies source ports only;
#   - many flows are drawn at random (flag IPSRC_RND, UDPSRC_RND): address
#     and port independently, so the flood covers every pair of the address
#     and port ranges rather than exactly --flows of them;
#   - its 16-byte pktgen header sits in the UDP payload, so IPv6 frames
#     are at least 82 bytes;
#   - on veth (no shared skbs) clone_skb must be 0 and burst 1.
set -euo pipefail

PG_NAME=kernel-pktgen
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pktgen-common.sh
source "$HERE/pktgen-common.sh"

PGDIR=/proc/net/pktgen
PKTGEN_HDR=16		# struct pktgen_hdr, always in the payload

usage() {
	cat <<EOF
usage: $PG_NAME --dev DEV --dst ADDR (--src ADDR | --src-range A-B | --flood single|many) [options]

xgate-pktgen's options:
  --dev DEV  --src ADDR  --src-range A-B  --dst ADDR  --sport P[-Q]  --dport P
  --flows N  --size BYTES (with FCS)  --rate PPS (0 = max)  --duration SEC
  --count N  --proto udp  --ipv6  --dst-mac MAC  --src-mac MAC  --allow-any-dst
  --json  --flood single|many (the two floods bench/lib/rig.sh measures)
kernel pktgen's:
  --threads N      pktgen threads, one per CPU from --first-cpu (default 1)
  --first-cpu N    CPU of the first thread (default 0)
  --clone N        clone_skb: sends of one skb before building the next
                   (default: 0 for many flows or veth, else 100000)
  --burst N        packets queued per xmit_more burst (default: 1 for many
                   flows or veth, else 32)
  --dry-run        print the /proc/net/pktgen writes instead of doing them
EOF
}

THREADS=1
FIRST_CPU=0
CLONE=
BURST=
DRY_RUN=0
pg_defaults
while (($#)); do
	if pg_opt "$@"; then
		shift "$PG_USED"
		continue
	fi
	case $1 in
	--threads | --first-cpu | --clone | --burst)
		if [[ $# -lt 2 ]] || ! pg_uint "$2"; then
			pg_die "$1 needs a number"
		fi
		case $1 in
		--threads) THREADS=$((10#$2)) ;;
		--first-cpu) FIRST_CPU=$((10#$2)) ;;
		--clone) CLONE=$((10#$2)) ;;
		--burst) BURST=$((10#$2)) ;;
		esac
		shift 2
		;;
	--dry-run) DRY_RUN=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) pg_die "unknown option '$1' (--help lists them)" ;;
	esac
done
pg_plan
((THREADS >= 1)) || pg_die "--threads must be at least 1"

[[ $PG_PROTO == udp ]] ||
	pg_die "kernel pktgen sends UDP only; for --proto tcp-syn use xgate-pktgen"
if ((PG_IPV6 && PG_NR_ADDRS > 1)); then
	pg_die "kernel pktgen takes one IPv6 source (src6): vary ports instead," \
		"e.g. --src 2001:2::1:1 --sport 1024-65535"
fi
if ((PG_IPV6 && PG_SIZE < 14 + 40 + 8 + PKTGEN_HDR + 4)); then
	pg_warn "IPv6 frames will be $((14 + 40 + 8 + PKTGEN_HDR + 4)) bytes, not $PG_SIZE: pktgen keeps its header"
fi

# Where pktgen's settings come from the plan.  Random draws exclude the
# top of a range (get_random_u32_inclusive(min, max - 1)) and ports are a
# half-open range in both modes, hence the +1s.
many=$((PG_NR_FLOWS > 1))
src_lo=$(pg_src_addr 0)
src_hi=$(pg_src_addr $((PG_NR_ADDRS - 1)))
if ((!PG_IPV6 && PG_NR_ADDRS > 1)); then
	src_hi=$(pg_src_addr "$PG_NR_ADDRS")
	pg_ip4_in_bench $((PG_SRC_FIRST + PG_NR_ADDRS)) ||
		pg_die "the address after --src-range must stay in 198.18.0.0/15 (pktgen's max is exclusive)"
fi
sport_hi=$PG_SPORT
((PG_NR_PORTS > 1)) && sport_hi=$((PG_SPORT + PG_NR_PORTS))
((sport_hi <= 65535)) || pg_die "source ports must end below 65535 (pktgen's max is exclusive)"

if ((!DRY_RUN)); then
	[[ $EUID -eq 0 ]] || pg_die "needs root (writes to $PGDIR)"
	ip link show dev "$PG_DEV" >/dev/null 2>&1 || pg_die "no interface '$PG_DEV' here"
	if [[ ! -d $PGDIR ]] && command -v modprobe >/dev/null; then
		modprobe pktgen 2>/dev/null || true
	fi
	[[ -d $PGDIR ]] || pg_die "kernel pktgen is not available: $PGDIR is missing" \
		"and 'modprobe pktgen' did not load it (a kernel without CONFIG_NET_PKTGEN," \
		"or no module for $(uname -r)). Use xgate-pktgen (make; build/xgate-pktgen) instead."
fi

veth=0
if ip -o -d link show dev "$PG_DEV" 2>/dev/null | grep -q ' veth '; then
	veth=1
fi
if [[ -z $PG_DST_MAC ]]; then
	PG_DST_MAC=$(pg_veth_peer_mac "$PG_DEV")
	[[ -n $PG_DST_MAC ]] || pg_die "give --dst-mac (the receiver's MAC)"
fi
if [[ -z $CLONE ]]; then
	CLONE=100000
	((many || veth)) && CLONE=0
fi
if [[ -z $BURST ]]; then
	BURST=32
	((many || veth)) && BURST=1
fi
if ((veth && (CLONE > 0 || BURST > 1))); then
	pg_die "veth takes no shared skbs: use --clone 0 --burst 1"
fi

pgset() {
	local file=$PGDIR/$1 cmd=$2

	if ((DRY_RUN)); then
		echo "echo '$cmd' > $file"
		return 0
	fi
	echo "$cmd" >"$file" 2>/dev/null || true
	# Every device and thread file reports how its last command went.
	if [[ $1 != pgctrl ]] && ! grep -q '^Result: OK' "$file"; then
		pg_die "pktgen refused '$cmd' in $file: $(grep '^Result:' "$file" || echo '(no result)')"
	fi
}

configured=()
cleanup() {
	local cpu

	((DRY_RUN)) && return 0
	for cpu in "${configured[@]}"; do
		echo "rem_device_all" >"$PGDIR/kpktgend_$cpu" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'stop_run' INT TERM

stop_run() {
	((DRY_RUN)) || echo stop >"$PGDIR/pgctrl" 2>/dev/null || true
}

per_thread_count=0
((PG_COUNT)) && per_thread_count=$(((PG_COUNT + THREADS - 1) / THREADS))
per_thread_rate=0
((PG_RATE)) && per_thread_rate=$(((PG_RATE + THREADS - 1) / THREADS))

devs=()
for ((t = 0; t < THREADS; t++)); do
	cpu=$((FIRST_CPU + t))
	if ((!DRY_RUN)) && [[ ! -e $PGDIR/kpktgend_$cpu ]]; then
		pg_die "no pktgen thread for CPU $cpu ($PGDIR/kpktgend_$cpu)"
	fi
	dev="$PG_DEV@$t"
	pgset "kpktgend_$cpu" "rem_device_all"
	configured+=("$cpu")
	pgset "kpktgend_$cpu" "add_device $dev"
	devs+=("$dev")

	pgset "$dev" "count $per_thread_count"
	pgset "$dev" "clone_skb $CLONE"
	pgset "$dev" "burst $BURST"
	pgset "$dev" "pkt_size $((PG_SIZE - 4))"
	pgset "$dev" "delay 0"
	((per_thread_rate)) && pgset "$dev" "ratep $per_thread_rate"
	pgset "$dev" "dst_mac $PG_DST_MAC"
	[[ -n $PG_SRC_MAC ]] && pgset "$dev" "src_mac $PG_SRC_MAC"
	pgset "$dev" "flag NO_TIMESTAMP"
	pgset "$dev" "flag UDPCSUM"
	if ((PG_IPV6)); then
		pgset "$dev" "dst6 $PG_DST"
		pgset "$dev" "src6 $src_lo"
	else
		pgset "$dev" "dst_min $PG_DST"
		pgset "$dev" "dst_max $PG_DST"
		pgset "$dev" "src_min $src_lo"
		pgset "$dev" "src_max $src_hi"
		((PG_NR_ADDRS > 1)) && pgset "$dev" "flag IPSRC_RND"
	fi
	pgset "$dev" "udp_dst_min $PG_DPORT"
	pgset "$dev" "udp_dst_max $PG_DPORT"
	pgset "$dev" "udp_src_min $PG_SPORT"
	pgset "$dev" "udp_src_max $sport_hi"
	((PG_NR_PORTS > 1)) && pgset "$dev" "flag UDPSRC_RND"
	if ((THREADS > 1)); then
		pgset "$dev" "queue_map_min $t"
		pgset "$dev" "queue_map_max $t"
	fi
done

echo "$PG_NAME: $PG_DEV, $THREADS thread(s) from CPU $FIRST_CPU, $PG_NR_ADDRS source address(es) x $PG_NR_PORTS port(s), $PG_SIZE-byte frames, clone_skb $CLONE, burst $BURST" >&2
if ((DRY_RUN)); then
	echo "echo start > $PGDIR/pgctrl    # blocks until done; 'echo stop' ends it"
	awk -v d="$PG_DURATION" 'BEGIN { exit !(d > 0) }' &&
		echo "sleep $PG_DURATION; echo stop > $PGDIR/pgctrl"
	exit 0
fi

# "start" returns when every thread is done (count reached or "stop").
echo start >"$PGDIR/pgctrl" &
starter=$!
if awk -v d="$PG_DURATION" 'BEGIN { exit !(d > 0) }'; then
	sleep "$PG_DURATION" || true
	stop_run
fi
wait "$starter" 2>/dev/null || true

# "Result: OK: <usec>(c..+d..) usec, <packets> (<size>byte,<n>frags)"
# "  <pps>pps <mbps>Mb/sec (<bps>bps) errors: <errors>"
sent=0
usec=0
errors=0
for dev in "${devs[@]}"; do
	read -r u p e < <(awk '
		/^Result: OK:/ { u = $3; sub(/\(.*/, "", u); p = $5 }
		/pps .*errors:/ { e = $NF }
		END { print u + 0, p + 0, e + 0 }' "$PGDIR/$dev")
	sent=$((sent + p))
	errors=$((errors + e))
	((u > usec)) && usec=$u
done
if ((PG_JSON)); then
	awk -v s="$sent" -v u="$usec" -v e="$errors" -v f="$PG_NR_FLOWS" \
		-v z="$PG_SIZE" -v t="$THREADS" 'BEGIN {
		sec = u / 1e6; pps = sec > 0 ? s / sec : 0
		printf "{\"tool\":\"kernel-pktgen\",\"threads\":%d,\"size\":%d,\"flows\":%d,", t, z, f
		printf "\"sent\":%d,\"errors\":%d,\"seconds\":%.6f,\"pps\":%.0f,\"mpps\":%.4f}\n", s, e, sec, pps, pps / 1e6
	}'
else
	awk -v s="$sent" -v u="$usec" -v e="$errors" 'BEGIN {
		sec = u / 1e6; pps = sec > 0 ? s / sec : 0
		printf "sent %d packets in %.3f s: %.3f Mpps (%d transmit errors)\n", s, sec, pps / 1e6, e
	}'
fi
